"""The server's pages in real headless Chromium (Playwright, Debian's /usr/bin/chromium).

A division logs in with its key, drops a bad form on the page, reads the findings, downloads
the marked copy, submits a good form; the secretariat's page shows 提出状況 change without
a reload. Screenshots go to the test's folder (and to MIEDX_SCREENSHOTS when set).
"""

from __future__ import annotations

import base64
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from miedx_xl.form.check import check_file
from miedx_xl.form.layout import RESULT_SHEET
from tests.test_server import PASSWORD, running

CHROMIUM = Path("/usr/bin/chromium")
DIVISION = "スマート改革推進課"
NAME_R4 = "デジタル改革推進課"


@pytest.fixture
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        why = "Debian's chromium (/usr/bin/chromium) is not installed: `make sysdeps` installs it"
        if os.environ.get("MIEDX_REQUIRE_SOFFICE"):
            pytest.fail(why)
        pytest.skip(why)
    from playwright import sync_api

    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            yield b
        finally:
            b.close()


def shot(page: Any, tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    keep = os.environ.get("MIEDX_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(keep) / path.name)
    return path


def drop_file(page: Any, selector: str, path: Path) -> None:
    """Drop a file on an element as a user dragging it from Explorer would."""
    data = base64.b64encode(path.read_bytes()).decode()
    page.evaluate(
        """([selector, name, data]) => {
            const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
            const file = new File([bytes], name, {type: 'application/octet-stream'});
            const dt = new DataTransfer(); dt.items.add(file);
            const target = document.querySelector(selector);
            target.dispatchEvent(new DragEvent('dragover', {dataTransfer: dt, bubbles: true}));
            target.dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true}));
        }""",
        [selector, path.name, data],
    )


def test_division_checks_downloads_submits_and_secretariat_sees_it(
    browser: Any, filled: Callable[..., Path], tmp_path: Path
) -> None:
    bad = filled(
        statuses={1: {"assessment_R4": "まあまあ"}, 2: {"status_R4": "  "}}, name="悪い.xlsx"
    )
    good = filled(name="良い.xlsx")
    expected = check_file(bad).report
    with running(tmp_path / "root") as srv:
        admin = browser.new_context(viewport={"width": 1100, "height": 800}, locale="ja-JP")
        secretariat = admin.new_page()
        secretariat.goto(f"{srv.url}/admin")
        secretariat.fill("#password", PASSWORD)
        secretariat.click("#login-button")
        row = secretariat.locator("#status tbody tr", has_text=NAME_R4)
        row.locator("td", has_text="未提出").wait_for()

        context = browser.new_context(
            viewport={"width": 1100, "height": 800}, locale="ja-JP", accept_downloads=True
        )
        page = context.new_page()
        page.goto(srv.url + "/")
        page.fill("#key", srv.key(DIVISION))
        page.click("#login-button")
        page.locator("#who", has_text=NAME_R4).wait_for()

        drop_file(page, "#drop", bad)
        page.locator("#counts", has_text="エラー 2 件").wait_for()
        rows = page.locator("#findings tbody tr")
        assert rows.count() == len(expected) == 2
        for i, f in enumerate(expected):
            cells = rows.nth(i).locator("td").all_inner_texts()
            assert cells == ["エラー", f.sheet, f.cell, f.message_ja]
        assert "エラーがあります" in page.inner_text("#check-msg")
        shot(page, tmp_path, "server_division_findings")

        with page.expect_download() as info:
            page.click("#marked")
        download = info.value
        assert download.suggested_filename == "悪い_チェック結果.xlsx"
        saved = tmp_path / "downloaded.xlsx"
        download.save_as(str(saved))
        wb = load_workbook(saved)
        assert wb.sheetnames[0] == RESULT_SHEET
        assert all(wb[f.sheet][f.cell].comment is not None for f in expected)

        page.set_input_files("#file", str(good))
        page.locator("#check-msg", has_text="問題は見つかりませんでした").wait_for()
        page.click("#submit")
        page.locator("#submit-msg", has_text="受け付けました（提出済）").wait_for()
        page.locator("#history tbody tr", has_text="良い.xlsx").wait_for()
        shot(page, tmp_path, "server_division_submitted")

        # The secretariat's page polls: the row changes without a reload.
        row.locator("td", has_text="提出済").wait_for(timeout=10_000)
        assert "良い.xlsx" in row.inner_text()
        assert "提出済 1" in secretariat.inner_text("#counts")
        shot(secretariat, tmp_path, "server_secretariat_status")

        secretariat.click("#consolidate")
        secretariat.locator("#cons-msg", has_text="取りまとめ").wait_for()
        secretariat.locator("#cons-msg", has_text="提出済 1").wait_for(timeout=30_000)
        with secretariat.expect_download() as info:
            secretariat.click("#master")
        assert info.value.suggested_filename == "取りまとめ結果_R4.xlsx"
        context.close()
        admin.close()


def test_wrong_key_and_refused_form_show_japanese(
    browser: Any, plan: Any, filled: Callable[..., Path], tmp_path: Path
) -> None:
    other = next(k for k in plan.divisions() if k != DIVISION)
    form = filled(name="他課.xlsx")
    with running(tmp_path / "root") as srv:
        page = browser.new_page(locale="ja-JP")
        page.goto(srv.url + "/")
        page.fill("#key", "dk-違うキー")
        page.click("#login-button")
        page.locator("#login-msg", has_text="キーが正しくありません").wait_for()
        page.fill("#key", srv.key(other))
        page.click("#login-button")
        page.set_input_files("#file", str(form))
        page.locator("#check-msg", has_text="調査票だけを扱えます").wait_for()
        assert page.is_disabled("#submit")
        page.close()
