"""The intranet server, started for real (uvicorn on 127.0.0.1, a free port) and spoken to
over HTTP: the ribbon's RunServerPython protocol, uploads, submissions, who may do what.

Ribbon payloads are built from real form files the way xlwings' Remote.bas builds them
(every worksheet in order, very hidden ones included; values from A1 to the end of the used
range) and serialised the way its WebHelpers.ConvertToJson writes them (empty cells null,
dates as text, non-ASCII as \\u escapes, "/" escaped, long digit-only texts unquoted).
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import threading
import time
import warnings
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
import xlwings
from defusedxml import ElementTree
from openpyxl import Workbook, load_workbook

from miedx_xl import addin
from miedx_xl.form.check import check_file
from miedx_xl.form.layout import RESULT_SHEET
from miedx_xl.form.live import NOTE_OURS, RESULT_HEADER
from miedx_xl.form.mark import MARK_AUTHOR
from miedx_xl.plan.model import Plan
from miedx_xl.server import remote
from miedx_xl.server.app import MAX_PENDING, Server, create_app
from miedx_xl.server.config import (
    ROLE_SECRETARIAT,
    Config,
    Principal,
    init_config,
    verify_password,
)

with warnings.catch_warnings():  # oletools 0.60 uses pyparsing names deprecated since 3.0
    warnings.simplefilter("ignore", DeprecationWarning)
    from oletools.olevba import VBA_Parser

PASSWORD = "事務局の合言葉-2023"
RED = "#FF9999"
STATUS = "取組状況"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Action = dict[str, Any]


# --- the server, started and stopped by the test ---------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Running:
    """A server running in a thread of the test process."""

    url: str
    config: Config
    server: Server

    def client(self, key: str | None = None, **kwargs: Any) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60, **kwargs)

    def key(self, division: str) -> str:
        return self.config.division_key(division)

    @contextmanager
    def secretariat(self) -> Iterator[httpx.Client]:
        with self.client() as client:
            client.post("/api/login", json={"password": PASSWORD}).raise_for_status()
            yield client


@contextmanager
def running(root: Path, fy: str = "R4", max_mb: float = 20.0) -> Iterator[Running]:
    """Start the real server (uvicorn) on a free port; stop it when done (bounded waits)."""
    config, _ = init_config(root, fy, password=PASSWORD)
    config.max_mb = max_mb
    app = create_app(config)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the server did not start")
        time.sleep(0.02)
    try:
        yield Running(f"http://127.0.0.1:{port}", config, app.app.state.server)  # type: ignore[attr-defined]
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        assert not thread.is_alive(), "the server did not stop"


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with running(tmp_path_factory.mktemp("server-root")) as r:
        yield r


# --- what RunServerPython posts ----------------------------------------------------------------


def vba_number(value: float) -> str:
    """A Double as VBA prints it (15 significant digits, no '.0', E notation)."""
    text = format(float(value), ".15g")
    return text.replace("e", "E")


def vba_json(value: Any) -> str:
    """WebHelpers.ConvertToJson of a value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return vba_number(value)
    if isinstance(value, datetime | date):
        stamp = (
            value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)
        )
        return '"' + stamp.strftime("%Y-%m-%dT%H:%M:%S") + '.000Z"'
    if isinstance(value, str):
        if 16 <= len(value) <= 100 and all(c in ".0123456789Ee" for c in value):
            return value  # json_StringIsLargeNumber: written without quotes
        return json.dumps(value, ensure_ascii=True).replace("/", "\\/")
    if isinstance(value, list):
        return "[" + ",".join(vba_json(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{vba_json(k)}:{vba_json(v)}" for k, v in value.items()) + "}"
    raise TypeError(value)


def vba_payload(path: Path, edits: dict[tuple[str, str], Any] | None = None) -> dict[str, Any]:
    """The Dictionary RunServerPython builds for a workbook (before JSON), with unsaved edits."""
    wb = load_workbook(path)
    names = []
    for index, ws in enumerate(wb.worksheets):
        if ws.print_title_rows:
            names.append(
                {
                    "name": f"'{ws.title}'!Print_Titles",
                    "sheet_index": index,
                    "address": ws.print_title_rows.replace("$", ""),
                    "book_scope": False,
                    "scope_sheet_name": ws.title,
                    "scope_sheet_index": index,
                }
            )
    for (sheet, ref), value in (edits or {}).items():
        wb[sheet][ref] = value
    sheets = []
    for ws in wb.worksheets:  # wb.Worksheets: every worksheet, very hidden ones included
        last_row, last_col = ws.max_row, ws.max_column
        if last_row == 1 and last_col == 1 and ws["A1"].value is None:
            values: list[list[Any]] = [[]]  # IsEmpty(UsedRange.Value)
        else:
            values = [
                [ws.cell(r, c).value for c in range(1, last_col + 1)]
                for r in range(1, last_row + 1)
            ]
        sheets.append({"name": ws.title, "pictures": [], "tables": [], "values": values})
    active = wb.worksheets.index(wb.active) if wb.active in wb.worksheets else 0
    return {
        "client": "VBA",
        "version": "0.37.8",
        "book": {"name": path.name, "active_sheet_index": active, "selection": "A1"},
        "names": names,
        "sheets": sheets,
    }


def post_button(
    srv: Running, button: str, payload: dict[str, Any], key: str | None
) -> httpx.Response:
    body = vba_json(payload).encode("ascii")
    with srv.client(key) as client:
        return client.post(
            f"/xlwings/{button}", content=body, headers={"Content-Type": "application/json"}
        )


def cell(a: Action) -> str:
    return remote.cell_of(a)


def on_sheets(actions: list[Action], names: list[str]) -> Iterator[tuple[str, Action]]:
    """Each action with the name of its sheet, as the client applies them in order."""
    names = list(names)
    for a in actions:
        position = a["sheet_position"]
        sheet = names[position] if position is not None else ""
        if a["func"] == remote.ADD_SHEET_FIRST:
            names.insert(0, a["args"][0])
        elif a["func"] == "sheetDelete":
            del names[position]
        yield sheet, a


def apply(payload: dict[str, Any], actions: list[Action]) -> dict[str, Any]:
    """The payload Excel would send once it has run the actions (result sheet added/gone)."""
    out = json.loads(json.dumps(payload))
    names = [s["name"] for s in out["sheets"]]
    for sheet, a in on_sheets(actions, names):
        if a["func"] == remote.ADD_SHEET_FIRST:
            out["sheets"].insert(
                0, {"name": a["args"][0], "pictures": [], "tables": [], "values": [[]]}
            )
        elif a["func"] == "sheetDelete":
            out["sheets"] = [s for s in out["sheets"] if s["name"] != sheet]
        elif a["func"] == "setValues":
            target = next(s for s in out["sheets"] if s["name"] == sheet)
            target["values"] = a["values"]
    return out


# --- forms ---------------------------------------------------------------------------------------

DIVISION = "スマート改革推進課"


@pytest.fixture
def two_bad(filled: Callable[..., Path]) -> Path:
    """A real filled form with exactly two bad cells (a wrong word, an empty required cell)."""
    return filled(statuses={1: {"assessment_R4": "まあまあ"}, 2: {"status_R4": "  "}})


def test_vba_json_is_what_convert_to_json_writes() -> None:
    value = {"a": [[None, 1.0, 2.5, "日本/語", "1234567890123456", datetime(2023, 3, 1)]]}
    text = vba_json(value)
    assert text.isascii() and "\\u65e5" in text and "\\/" in text
    assert ",1234567890123456," in text and '"2023-03-01T00:00:00.000Z"' in text
    parsed = remote.parse_payload(
        (
            '{"book": {"name": "x"}, "sheets": [{"name": "S", "values": '
            + vba_json(value["a"])
            + "}]}"
        ).encode()
    )
    sheets = remote.PayloadSheets(parsed)
    assert sheets.rows("S") == [["", 1.0, 2.5, "日本/語", "1234567890123456", datetime(2023, 3, 1)]]


def test_payload_has_every_sheet_very_hidden_included(two_bad: Path) -> None:
    payload = vba_payload(two_bad)
    names = [s["name"] for s in payload["sheets"]]
    states = {ws.title: ws.sheet_state for ws in load_workbook(two_bad).worksheets}
    assert "_meta" in names and states["_meta"] == "veryHidden"
    assert names == list(states)


# --- the ribbon: 入力チェック and チェック表示をクリア --------------------------------------------


def test_check_colours_exactly_the_cells_the_command_line_names(
    srv: Running, two_bad: Path
) -> None:
    expected = check_file(two_bad).report
    cells = {(f.sheet, f.cell) for f in expected if f.cell}
    assert len(cells) == 2 and {s for s, _ in cells} == {STATUS}
    payload = vba_payload(two_bad)
    names = [s["name"] for s in payload["sheets"]]

    response = post_button(srv, "check", payload, srv.key(DIVISION))

    assert response.status_code == 200, response.text
    actions: list[Action] = response.json()["actions"]
    known = {"setRangeColor", "setValues", "sheetDelete", "addHyperlink", "activateSheet", "alert"}
    assert {a["func"] for a in actions} <= known | set(remote.OWN_SUBS)
    painted = {
        (s, cell(a))
        for s, a in on_sheets(actions, names)
        if a["func"] == "setRangeColor" and a["args"] == [RED]
    }
    assert painted == cells
    noted = {
        (s, a["args"][0]): a["args"][1]
        for s, a in on_sheets(actions, names)
        if a["func"] == remote.SET_NOTE
    }
    assert set(noted) == cells
    for f in expected:
        assert (
            noted[(f.sheet, f.cell)].startswith(MARK_AUTHOR)
            and f.message_ja in noted[(f.sheet, f.cell)]
        )
    # Every cell action addresses one cell with 0-based row/column, as GetRange expects.
    for _sheet, a in on_sheets(actions, names):
        if a["func"] == "setRangeColor" and a["args"] == [RED]:
            assert (a["row_count"], a["column_count"]) == (1, 1)
    # The result sheet goes in front and gets the findings; the message comes last.
    assert [a["args"] for a in actions if a["func"] == remote.ADD_SHEET_FIRST] == [[RESULT_SHEET]]
    (written,) = [a for s, a in on_sheets(actions, names) if a["func"] == "setValues"]
    assert written["sheet_position"] == 0 and cell(written) == "A1"
    header, *rows = written["values"]
    assert header == RESULT_HEADER and len(rows) == 2
    assert (written["row_count"], written["column_count"]) == (3, len(RESULT_HEADER))
    assert {(r[2], r[3]) for r in rows} == cells and all(r[7] == NOTE_OURS for r in rows)
    last = actions[-1]
    assert last["func"] == "alert" and "エラー 2 件" in last["args"][0]
    assert last["args"][1:4] == ["みえDX進捗", "ok", "info"]


def test_check_reads_unsaved_edits(srv: Running, filled: Callable[..., Path]) -> None:
    path = filled()
    payload = vba_payload(path, edits={(STATUS, "K4"): "まあまあ"})  # typed, not saved
    actions = post_button(srv, "check", payload, srv.key(DIVISION)).json()["actions"]
    names = [s["name"] for s in payload["sheets"]]
    painted = [(s, cell(a)) for s, a in on_sheets(actions, names) if a["args"] == [RED]]
    assert painted == [(STATUS, "K4")]
    assert check_file(path).report.valid


def test_clear_undoes_exactly_what_check_did(srv: Running, two_bad: Path) -> None:
    payload = vba_payload(two_bad)
    key = srv.key(DIVISION)
    checked = post_button(srv, "check", payload, key).json()["actions"]
    marked = apply(payload, checked)
    assert marked["sheets"][0]["name"] == RESULT_SHEET
    names = [s["name"] for s in marked["sheets"]]
    red = {
        (s, cell(a))
        for s, a in on_sheets(checked, [s["name"] for s in payload["sheets"]])
        if a["args"] == [RED]
    }

    actions = post_button(srv, "clear", marked, key).json()["actions"]

    restored = {
        (s, cell(a)): a["args"][0]
        for s, a in on_sheets(actions, names)
        if a["func"] == "setRangeColor"
    }
    assert set(restored) == red and set(restored.values()) <= {"#FFFFFF", "#E7E6E6"}
    deleted = {
        (s, a["args"][0]) for s, a in on_sheets(actions, names) if a["func"] == remote.DELETE_NOTE
    }
    assert deleted == red
    assert [s for s, a in on_sheets(actions, names) if a["func"] == "sheetDelete"] == [RESULT_SHEET]
    assert actions[-1]["args"][0] == "チェック表示を消しました（2 か所）。"
    # A second check of the marked workbook first removes the old sheet, then adds the new one.
    again = post_button(srv, "check", marked, key).json()["actions"]
    order = [a["func"] for a in again if a["func"] in ("sheetDelete", remote.ADD_SHEET_FIRST)]
    assert order == ["sheetDelete", remote.ADD_SHEET_FIRST]


def test_clear_without_result_sheet_says_so(srv: Running, filled: Callable[..., Path]) -> None:
    actions = post_button(srv, "clear", vba_payload(filled()), srv.key(DIVISION)).json()["actions"]
    assert [a["func"] for a in actions] == ["alert"]
    assert actions[0]["args"][0] == remote.NOTHING_TO_CLEAR


def test_ribbon_refusals_are_japanese_4xx(
    srv: Running, plan: Plan, two_bad: Path, tmp_path: Path
) -> None:
    payload = vba_payload(two_bad)
    other = next(k for k in plan.divisions() if k != DIVISION)
    cases = {
        "no key": (post_button(srv, "check", payload, None), 401, "ログイン"),
        "bad key": (post_button(srv, "check", payload, "dk-" + "0" * 32), 401, "キー"),
        "other division": (
            post_button(srv, "check", payload, srv.key(other)),
            403,
            "デジタル改革推進課",
        ),
    }
    book = tmp_path / "売上.xlsx"
    wb = Workbook()
    assert wb.active is not None
    wb.active["A1"] = "売上"
    wb.save(book)
    cases["not a form"] = (
        post_button(srv, "check", vba_payload(book), srv.key(DIVISION)),
        422,
        "調査票",
    )
    with srv.client(srv.key(DIVISION)) as client:
        bad_json = client.post(
            "/xlwings/check", content=b'{"sheets": [', headers={"Content-Type": "application/json"}
        )
    cases["not JSON"] = (bad_json, 400, "JSON")
    for name, (response, status, text) in cases.items():
        assert response.status_code == status, name
        assert text in response.text and "Traceback" not in response.text, name
        assert response.headers["content-type"].startswith("text/plain"), name


def test_wrong_year_and_too_large(tmp_path: Path, two_bad: Path) -> None:
    assert two_bad.stat().st_size < 100_000
    with running(tmp_path / "r5", fy="R5", max_mb=0.1) as r5:
        payload = vba_payload(two_bad)
        padded = {
            **payload,
            "sheets": [*payload["sheets"], {"name": "x", "values": [["x" * 200_000]]}],
        }
        big = post_button(r5, "check", padded, r5.key(DIVISION))
        assert big.status_code == 413 and "大きすぎ" in big.text
        payload["sheets"] = [s for s in payload["sheets"] if s["name"] in ("_meta", STATUS)]
        wrong = post_button(r5, "check", payload, r5.key(DIVISION))
        assert wrong.status_code == 422 and "R4 の調査票です" in wrong.text
        with r5.client(r5.key(DIVISION)) as client:
            body = two_bad.read_bytes() + b"\0" * 200_000
            up = client.post("/api/check", files={"file": ("a.xlsx", body, XLSX)})
        assert up.status_code == 413 and "大きすぎ" in up.json()["error"]


# --- the page's API: check, marked copy, submit -------------------------------------------------


def test_upload_check_and_marked_copy(srv: Running, two_bad: Path, tmp_path: Path) -> None:
    with srv.client(srv.key(DIVISION)) as client:
        r = client.post(
            "/api/check", files={"file": ("../../悪い名前.xlsx", two_bad.read_bytes(), XLSX)}
        )
        assert r.status_code == 200, r.text
        data = r.json()
        assert data["name"] == "悪い名前.xlsx" and not data["valid"]
        expected = check_file(two_bad).report
        assert [(f["sheet"], f["cell"], f["message_ja"]) for f in data["findings"]] == [
            (f.sheet, f.cell, f.message_ja) for f in expected
        ]
        marked = client.get(data["marked"])
        assert marked.status_code == 200
        assert "%E3%83%81%E3%82%A7%E3%83%83%E3%82%AF" in marked.headers["content-disposition"]
        out = tmp_path / "marked.xlsx"
        out.write_bytes(marked.content)
        wb = load_workbook(out)
        assert wb.sheetnames[0] == RESULT_SHEET
        for f in expected:
            assert wb[f.sheet][f.cell].comment is not None
    # Uploaded names never become paths: everything under the root is named by digest.
    stored = [p.name for p in srv.config.root.rglob("*.xlsx")]
    assert not any("悪い名前" in n for n in stored)
    with srv.client(srv.key("デジタル戦略企画課")) as other:
        assert other.get(data["marked"]).status_code == 403


def test_submit_own_form_and_refused_for_another(
    srv: Running, plan: Plan, filled: Callable[..., Path]
) -> None:
    other = next(k for k in plan.divisions() if k != DIVISION)
    form = filled(name="own.xlsx")
    with srv.client(srv.key(other)) as client:
        refused = client.post("/api/submit", files={"file": ("own.xlsx", form.read_bytes(), XLSX)})
    assert refused.status_code == 403 and "デジタル改革推進課" in refused.json()["error"]
    digest = hashlib.sha256(form.read_bytes()).hexdigest()
    assert not (srv.config.root / "uploads" / f"{digest}.xlsx").exists()  # not kept
    with srv.client(srv.key(DIVISION)) as client:
        r = client.post("/api/submit", files={"file": ("own.xlsx", form.read_bytes(), XLSX)})
        assert r.status_code == 200, r.text
        sub = r.json()["submission"]
        assert sub["state"] == "提出済" and sub["current"]
        mine = client.get("/api/submissions").json()
        assert {s["division"] for s in mine} == {plan.division_name(DIVISION, srv.server.fy)}
        assert client.get("/api/status").status_code == 403
    with srv.client(srv.key(other)) as client:
        assert all(s["digest"] != sub["digest"] for s in client.get("/api/submissions").json())
    archived = srv.config.root / "archive" / "files" / sub["digest"][:2] / f"{sub['digest']}.xlsx"
    assert archived.read_bytes() == form.read_bytes()


def test_second_submission_while_storing_is_409(srv: Running, filled: Callable[..., Path]) -> None:
    form = filled(name="busy.xlsx")
    srv.server.pending[DIVISION] = MAX_PENDING  # that many of its submissions are queued
    try:
        with srv.client(srv.key(DIVISION)) as client:
            r = client.post("/api/submit", files={"file": ("busy.xlsx", form.read_bytes(), XLSX)})
    finally:
        srv.server.pending[DIVISION] = 0
    assert r.status_code == 409 and "保存している" in r.json()["error"]


def test_secretariat_needs_its_password(srv: Running) -> None:
    with srv.client() as client:
        assert client.get("/api/status").status_code == 401
        bad = client.post("/api/login", json={"password": "違う"})
        assert bad.status_code == 401 and "パスワード" in bad.json()["error"]
        cookie = "x" + srv.config.session_cookie(Principal(ROLE_SECRETARIAT))
        client.cookies.set("miedx_session", cookie)
        assert client.get("/api/status").status_code == 401
    stored = json.loads((srv.config.root / "config.json").read_text(encoding="utf-8"))
    assert PASSWORD not in json.dumps(stored, ensure_ascii=False)
    assert verify_password(PASSWORD, stored["secretariat_hash"])
    with srv.secretariat() as admin:
        keys = admin.get("/api/keys").json()
        assert {k["key"] for k in keys} == {srv.key(d) for d in srv.server.divisions}


# --- many clients at once ------------------------------------------------------------------------


def test_fifty_forms_from_ten_concurrent_clients_none_lost(
    tmp_path: Path, plan: Plan, filled: Callable[..., Path]
) -> None:
    divisions = plan.divisions()
    clients = [divisions[i % len(divisions)] for i in range(10)]  # several per division
    forms: list[list[bytes]] = []
    for c, key in enumerate(clients):
        no = int(plan.own_measures(key)["no"].iloc[0])
        forms.append(
            [
                filled(
                    key, statuses={no: {"issues_R4": f"版 {c}-{i}"}}, name=f"{c}_{i}.xlsx"
                ).read_bytes()
                for i in range(5)
            ]
        )
    with running(tmp_path / "root") as srv:

        def client_run(c: int) -> list[str]:
            digests = []
            with srv.client(srv.key(clients[c])) as client:
                for i, body in enumerate(forms[c]):
                    r = client.post("/api/submit", files={"file": (f"{i}.xlsx", body, XLSX)})
                    assert r.status_code == 200, r.text
                    digests.append(r.json()["submission"]["digest"])
            return digests

        with ThreadPoolExecutor(10) as pool:
            sent = [d for ds in pool.map(client_run, range(10)) for d in ds]
        assert len(set(sent)) == 50
        ledger = srv.server.store.submissions("R4")
        assert sorted(s.digest for s in ledger) == sorted(sent)
        for key in divisions:
            rows = [s for s in ledger if s.division_key == key]
            assert len(rows) == 5 * clients.count(key)
            assert sum(s.superseded_by is None for s in rows) == 1
        files = {p.stem for p in (srv.config.root / "archive" / "files").rglob("*.xlsx")}
        assert set(sent) <= files
        with srv.secretariat() as admin:
            status = admin.get("/api/status").json()
            assert status["counts"]["提出済"] == len(divisions)
            assert status["duplicates"] == len(divisions)
            done = admin.post("/api/consolidate")
            assert done.status_code == 200, done.text
            assert f"提出済 {len(divisions)}" in done.json()["summary"]
            master = admin.get("/api/master")
            assert master.status_code == 200 and master.content[:2] == b"PK"


# --- batches of concurrent checks ----------------------------------------------------------------


def test_concurrent_checks_run_as_one_batch_each_with_its_own_findings(
    plan: Plan, filled: Callable[..., Path]
) -> None:
    import asyncio

    from miedx_xl.server.batch import Batcher

    forms = [
        filled(statuses={1: {"assessment_R4": "まあまあ"}}, name="a.xlsx"),
        filled(statuses={2: {"status_R4": ""}, 3: {"status_R4": "あ" * 501}}, name="b.xlsx"),
        filled(name="c.xlsx"),
        filled(plan.divisions()[1], name="d.xlsx"),
        filled(
            rpa=[{"division": "道路管理課", "task": "点検", "hours_before": 5, "hours_after": 9}],
            name="e.xlsx",
        ),
    ]
    payloads = [remote.parse_payload(vba_json(vba_payload(p)).encode()) for p in forms]

    async def run_all(batcher: Batcher) -> list[Any]:
        return await asyncio.gather(*(batcher.check_payload(p) for p in payloads))

    with ThreadPoolExecutor(1) as pool:
        batcher = Batcher(pool, {}, 20 * 1024 * 1024)
        results = asyncio.run(run_all(batcher))
    assert batcher.batches == [len(forms)]
    for path, result in zip(forms, results, strict=True):
        expected = check_file(path).report
        assert [(f.code, f.sheet, f.cell) for f in result.report] == [
            (f.code, f.sheet, f.cell) for f in expected
        ]
    assert [len(r.report) for r in results][:3] == [1, 2, 0]


def test_concurrent_ribbon_checks_each_get_their_own_cells(
    srv: Running, filled: Callable[..., Path]
) -> None:
    words = ["まあまあ", "よい", "だめ", "普通", "未定", "?"]
    forms = [
        filled(statuses={1 + i % 3: {"assessment_R4": w}}, name=f"r{i}.xlsx")
        for i, w in enumerate(words)
    ]
    payloads = [vba_payload(p) for p in forms]

    def post(i: int) -> set[tuple[str, str]]:
        actions = post_button(srv, "check", payloads[i], srv.key(DIVISION)).json()["actions"]
        names = [s["name"] for s in payloads[i]["sheets"]]
        return {(s, cell(a)) for s, a in on_sheets(actions, names) if a["args"] == [RED]}

    with ThreadPoolExecutor(len(forms)) as pool:
        painted = list(pool.map(post, range(len(forms))))
    for path, cells in zip(forms, painted, strict=True):
        assert cells == {(f.sheet, f.cell) for f in check_file(path).report if f.cell}


# --- the server add-in ---------------------------------------------------------------------------

ACTION_SUB = re.compile(r"^Sub (\w+)\(wb As Workbook, action As Dictionary\)", re.M)


def client_subs() -> set[str]:
    """The action Subs RunServerPython can run: xlwings' Remote.bas and our MiedxServer.bas."""
    remote_bas = Path(xlwings.__file__).parent / "addin" / "Remote.bas"
    ours = Path(__file__).parent.parent / "macros" / "server" / "MiedxServer.bas"
    return set(ACTION_SUB.findall(remote_bas.read_text(encoding="ascii"))) | set(
        ACTION_SUB.findall(ours.read_text(encoding="ascii"))
    )


def test_every_action_is_a_sub_the_client_runs(srv: Running, two_bad: Path) -> None:
    subs = client_subs()
    assert set(remote.OWN_SUBS) <= subs and {"setRangeColor", "alert", "setValues"} <= subs
    payload = vba_payload(two_bad)
    key = srv.key(DIVISION)
    checked = post_button(srv, "check", payload, key).json()["actions"]
    cleared = post_button(srv, "clear", apply(payload, checked), key).json()["actions"]
    used = {a["func"] for a in checked + cleared}
    assert used <= subs, used - subs


@pytest.fixture(scope="module")
def server_addin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return addin.build_addin(
        tmp_path_factory.mktemp("server-addin"), server="https://miedx.example.lg.jp/"
    )


def test_server_addin_has_the_vba_client_and_our_url(server_addin: Path) -> None:
    parser = VBA_Parser(str(server_addin))
    try:
        modules = {Path(name).stem: code for _, _, name, code in parser.extract_macros()}
    finally:
        parser.close()
    assert {
        "MiedxRibbon",
        "MiedxServer",
        "xlwings",
        "Remote",
        "WebHelpers",
        "WebClient",
        "WebRequest",
        "WebResponse",
        "Dictionary",
        "IWebAuthenticator",
    } <= set(modules)
    ribbon = modules["MiedxRibbon"]
    assert 'Public Const SERVER_URL As String = "https://miedx.example.lg.jp"' in ribbon
    assert 'RunServerPython MiedxServerUrl() & "/xlwings/" & control.Id' in ribbon
    assert "RunPython" not in ribbon.replace("RunServerPython", "")
    assert all(code.isascii() for code in modules.values())
    assert "Function RunServerPython(" in modules["Remote"]
    with zipfile.ZipFile(server_addin) as zf:
        ui = ElementTree.fromstring(zf.read(addin.RIBBON_PART))
    ns = {"ui": addin.NS_CUSTOMUI14}
    buttons = {b.get("id"): b for b in ui.findall(".//ui:button", ns)}
    assert set(buttons) == {"check", "clear", "page"}
    assert {b.get("onAction") for b in buttons.values()} == {"MiedxRibbon.OnAction"}
    assert buttons["check"].get("label") == "入力チェック"
    again = addin.build_addin(server_addin.parent / "again", server="https://miedx.example.lg.jp/")
    assert again.read_bytes() == server_addin.read_bytes()


def test_server_addin_kit(server_addin: Path) -> None:
    folder = server_addin.parent
    cmd = (folder / "setup.cmd").read_bytes()
    assert cmd.isascii() and b"\r\n" in cmd and b"-ExecutionPolicy Bypass" in cmd
    ps1 = (folder / "miedx-setup.ps1").read_bytes()
    assert ps1.startswith(b"\xef\xbb\xbf")
    text = ps1.decode("utf-8-sig")
    assert '$ServerUrl = "https://miedx.example.lg.jp"' in text
    assert "Zone.Identifier" in text and "AddIns.Add" in text and "Microsoft\\AddIns" in text
    readme = (folder / "セットアップ手順.txt").read_bytes().decode("utf-8-sig")
    assert "https://miedx.example.lg.jp" in readme and "共有フォルダ" in readme


def test_server_addin_refuses_a_bad_url(tmp_path: Path) -> None:
    with pytest.raises(addin.AddinError, match="URL"):
        addin.build_addin(tmp_path, server='https://x.example/"; Shell "calc')


# --- settings, sessions, the command -----------------------------------------------------------


def test_sessions_are_signed_and_expire(tmp_path: Path) -> None:
    config, password = init_config(tmp_path, "R4")
    assert password and verify_password(password, config.secretariat_hash)
    assert not verify_password(password + "x", config.secretariat_hash)
    who = Principal("division", DIVISION)
    cookie = config.session_cookie(who, now=1000.0)
    assert config.session_of(cookie, now=1001.0) == who
    assert config.session_of(cookie, now=1000.0 + 9 * 3600) is None  # expired
    _, mac = cookie.split(".")
    forged = config.session_cookie(Principal(ROLE_SECRETARIAT), now=1000.0).split(".")[0]
    assert config.session_of(f"{forged}.{mac}", now=1001.0) is None
    assert config.division_key(DIVISION) != config.division_key("デジタル戦略企画課")
    assert (
        config.division_key(DIVISION).startswith("dk-") and len(config.division_key(DIVISION)) == 35
    )


def test_ledger_is_in_wal_mode(srv: Running) -> None:
    import sqlite3

    with sqlite3.connect(srv.server.store.ledger) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_serve_command_parser_and_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import argparse

    from miedx_xl.server import add_serve_parser, serve

    parser = argparse.ArgumentParser()
    add_serve_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["serve", "--root", str(tmp_path), "--port", "8123"])
    assert (args.root, args.host, args.port, args.fy) == (str(tmp_path), "127.0.0.1", 8123, None)
    assert serve(tmp_path / "bad", fy="abc") == 2
    assert "年度「abc」を読めません" in capsys.readouterr().err


def test_upload_that_is_not_a_form_or_of_another_year(
    srv: Running, tmp_path: Path, blank_forms: dict[str, Path]
) -> None:
    with srv.client(srv.key(DIVISION)) as client:
        junk = client.post("/api/check", files={"file": ("x.xlsx", b"not a workbook", XLSX)})
        assert junk.status_code == 422
        assert "調査票ではない" in junk.json()["error"] and "Excel ブック" in junk.json()["error"]
        empty = client.post("/api/submit", data={"note": "x"})
        assert empty.status_code == 400 and "ファイルがありません" in empty.json()["error"]
    with running(tmp_path / "r5", fy="R5") as r5, r5.client(r5.key(DIVISION)) as client:
        form = blank_forms[DIVISION].read_bytes()
        wrong = client.post("/api/submit", files={"file": ("R4.xlsx", form, XLSX)})
        assert wrong.status_code == 422 and "令和5年度" in wrong.json()["error"]
        assert r5.server.store.submissions("R4") == r5.server.store.submissions("R5") == []


def test_a_form_that_breaks_its_batch_fails_alone(
    filled: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from miedx_xl.server import batch

    good = [filled(name=f"g{i}.xlsx") for i in range(3)]
    real = batch.check_loaded
    calls: list[int] = []

    def fragile(loaded: list[Any], owners: Any = None) -> list[Any]:
        calls.append(len(loaded))
        if len(loaded) > 1:
            raise RuntimeError("one odd form")
        return real(loaded, owners)

    monkeypatch.setattr(batch, "check_loaded", fragile)

    async def run_all(batcher: batch.Batcher) -> list[Any]:
        return await asyncio.gather(*(batcher.check_file(p) for p in good))

    with ThreadPoolExecutor(1) as pool:
        results = asyncio.run(run_all(batch.Batcher(pool, {}, 20 * 1024 * 1024)))
    assert calls == [3, 1, 1, 1]
    assert all(len(r.report) == 0 and r.meta is not None for r in results)
