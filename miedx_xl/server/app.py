"""The intranet server's ASGI app (Starlette): ribbon endpoint, pages, submissions.

Routes: `/xlwings/check` and `/xlwings/clear` answer xlwings' VBA client (`remote.py`);
`/` (担当課) and `/admin` (事務局) are the pages; `/api/...` is what the pages call.
Library work runs on two single-thread executors: checks on one, archive and ledger
writes (submissions, 取りまとめ) on the other, so the SQLite ledger has one writer and a
slow 取りまとめ does not hold up checks.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import secrets
import shutil
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    Response,
)
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from miedx_xl.server import pages
from miedx_xl.server.batch import Batcher
from miedx_xl.server.config import (
    ROLE_DIVISION,
    ROLE_SECRETARIAT,
    Config,
    Principal,
    verify_password,
)
from miedx_xl.server.library import (
    SEVERITY_JA,
    FiscalYear,
    FormResult,
    Plan,
    load_plan,
    parse_fiscal_year,
    write_marked_copy,
)
from miedx_xl.server.remote import PayloadError, check_actions, clear_answer, parse_payload
from miedx_xl.server.store import Store

log = logging.getLogger("miedx_xl.server")

COOKIE = "miedx_session"
UPLOADS = "uploads"
UPLOAD_KEEP = 200
"""Checked uploads remembered for the marked copy (the oldest are forgotten)."""
UPLOAD_SECONDS = 24 * 3600
MAX_PENDING = 5
"""Submissions of one division waiting for the writer; one more is refused with 409."""
T = TypeVar("T")


class Refused(Exception):
    """A request refused with a status and a Japanese message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


# --- request size ----------------------------------------------------------------------------


class BodyLimit:
    """Pure ASGI middleware: a request body over the limit gets 413 before it is read whole."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await too_large(self.max_bytes, scope["path"])(scope, receive, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise HTTPException(413)
            return message

        await self.app(scope, limited, send)


def too_large(max_bytes: int, path: str) -> Response:
    """The 413 answer: JSON for the pages' API, plain text for the ribbon's message box."""
    mb = round(max_bytes / 1024 / 1024, 1)
    text = f"ファイルが大きすぎます（上限 {mb:g} MB）。画像などを減らしてから送ってください。"
    if path.startswith("/api/"):
        return JSONResponse({"error": text}, status_code=413)
    return PlainTextResponse(text, status_code=413)


# --- the server's state --------------------------------------------------------------------


@dataclass
class Upload:
    """A checked upload, kept by digest for the marked copy (never by its uploaded name)."""

    path: Path
    name: str
    division_key: str
    result: FormResult
    at: float


class Server:
    """Settings, plan, store and executors of one running server."""

    def __init__(self, config: Config, plan: Plan | None = None) -> None:
        self.config = config
        self.plan = plan or load_plan()
        fy = parse_fiscal_year(config.fy).value
        if fy is None:
            raise ValueError(f"年度「{config.fy}」を読めません（例: R4）")
        self.fy: FiscalYear = fy
        self.store = Store(config.root)
        self.uploads_dir = config.root / UPLOADS
        self.uploads_dir.mkdir(parents=True, exist_ok=True)
        self.uploads: OrderedDict[str, Upload] = OrderedDict()
        self.pending: dict[str, int] = {}
        self.checker = ThreadPoolExecutor(1, thread_name_prefix="miedx-check")
        self.writer = ThreadPoolExecutor(1, thread_name_prefix="miedx-write")
        self.owners = {
            int(no): self.plan.division_name(div, self.fy)
            for no, div in self.plan.numbered()[["no", "division"]].itertuples(index=False)
        }
        self.divisions = self.plan.divisions()
        self.batcher = Batcher(self.checker, self.owners, config.max_bytes)
        self._clean_uploads()

    def close(self) -> None:
        """Stop the executors (work already queued finishes first)."""
        self.checker.shutdown(wait=True)
        self.writer.shutdown(wait=True)

    async def run(self, pool: ThreadPoolExecutor, func: Callable[..., T], *args: Any) -> T:
        """Run library work on one of the executors."""
        return await asyncio.get_running_loop().run_in_executor(pool, func, *args)

    def _clean_uploads(self) -> None:
        """Delete checked uploads older than a day (they are not submissions)."""
        limit = time.time() - UPLOAD_SECONDS
        for path in self.uploads_dir.glob("*.xlsx"):
            try:
                if path.stat().st_mtime < limit:
                    path.unlink()
            except OSError:
                continue

    # --- who -----------------------------------------------------------------------------

    def principal(self, request: Request) -> Principal | None:
        """The division key in the Authorization header, or the session cookie."""
        header = request.headers.get("authorization", "")
        if header:
            key = header.removeprefix("Bearer ").strip()
            division = self.config.division_of_key(key, self.divisions)
            return Principal(ROLE_DIVISION, division) if division else None
        cookie = request.cookies.get(COOKIE)
        return self.config.session_of(cookie) if cookie else None

    def require(self, request: Request, secretariat: bool = False) -> Principal:
        """The principal, or 401 (no or bad credential) / 403 (not the secretariat)."""
        who = self.principal(request)
        if who is None:
            raise Refused(
                401,
                "ログインしてください（担当課のキー、または事務局のパスワードが必要です）。"
                if not request.headers.get("authorization")
                else "キーが正しくありません。事務局から配られたキーを確かめてください。",
            )
        if secretariat and not who.secretariat:
            raise Refused(403, "このページは事務局だけが使えます。")
        return who

    def division_name(self, key: str) -> str:
        """A division's name in the fiscal year being collected."""
        return self.plan.division_name(key, self.fy) if key in self.divisions else key

    # --- forms -----------------------------------------------------------------------------

    def admit(self, result: FormResult, who: Principal) -> None:
        """Refuse a checked form that this principal may not use, with the reason."""
        if result.meta is None:
            codes = {f.code for f in result.report}
            reasons = "\n".join(f.message_ja for f in result.report)
            if "file-too-large" in codes:
                raise Refused(413, f"ファイルが大きすぎます。\n{reasons}")
            raise Refused(422, f"取組状況の調査票ではないため、受け付けられません。\n{reasons}")
        meta = result.meta
        if meta.plan_id != self.plan.id or meta.division_key not in self.divisions:
            raise Refused(
                422, f"この計画の調査票ではありません（{meta.plan_name}・{meta.division}）。"
            )
        if meta.fiscal_year != str(self.fy):
            raise Refused(
                422,
                f"{meta.fiscal_year} の調査票です。いま受け付けているのは {self.fy.label_ja()}"
                f"（{self.fy}）の調査票です。",
            )
        if not who.secretariat and meta.division_key != who.division_key:
            raise Refused(
                403,
                f"「{meta.division}」の調査票です。ログインしている担当課"
                f"（{self.division_name(who.division_key)}）の調査票だけを扱えます。",
            )

    async def receive_upload(self, request: Request) -> tuple[Path, str]:
        """The uploaded file, stored under its SHA-256; and its name (for display only)."""
        try:
            form = await request.form(max_files=1, max_fields=4)
        except HTTPException:
            raise
        except Exception as exc:  # python-multipart's parse errors
            raise Refused(400, f"送られたフォームを読めません: {exc}") from exc
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise Refused(400, "ファイルがありません。調査票（.xlsx）を選んでください。")
        name = os.path.basename((upload.filename or "調査票.xlsx").replace("\\", "/"))[:200]
        tmp = self.uploads_dir / f".{secrets.token_hex(8)}.part"
        sha = hashlib.sha256()
        try:
            with tmp.open("wb") as out:
                while block := await upload.read(1 << 20):
                    sha.update(block)
                    out.write(block)
            path = self.uploads_dir / f"{sha.hexdigest()}.xlsx"
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
            await form.close()
        return path, name

    def remember(self, path: Path, name: str, result: FormResult) -> str:
        """Keep a checked upload for its marked copy; its digest."""
        digest = path.stem
        key = result.meta.division_key if result.meta else ""
        self.uploads[digest] = Upload(path, name, key, result, time.time())
        self.uploads.move_to_end(digest)
        while len(self.uploads) > UPLOAD_KEEP:
            _, old = self.uploads.popitem(last=False)
            self.forget(old.path)
        return digest

    def forget(self, path: Path) -> None:
        """Delete an upload that is not (or no longer) kept, and its marked copy."""
        if path.stem in self.uploads:
            return
        path.unlink(missing_ok=True)
        path.with_name(f"{path.stem}_marked.xlsx").unlink(missing_ok=True)

    async def checked_upload(
        self, request: Request, who: Principal
    ) -> tuple[Path, str, FormResult]:
        """Receive, check and admit an upload; a refused one is deleted at once."""
        path, name = await self.receive_upload(request)
        try:
            result = await self.batcher.check_file(path)
            self.admit(result, who)
        except BaseException:
            self.forget(path)
            raise
        return path, name, result

    def findings_json(self, result: FormResult) -> list[dict[str, Any]]:
        """Findings for the page (the file is the uploaded one: no server path shown)."""
        return [
            {
                "severity": f.severity,
                "severity_ja": SEVERITY_JA[f.severity],
                "code": f.code,
                "sheet": f.sheet,
                "cell": f.cell,
                "message_ja": f.message_ja,
            }
            for f in result.report
        ]


# --- endpoints -------------------------------------------------------------------------------


def server_of(request: Request) -> Server:
    """The Server of this app."""
    server: Server = request.app.state.server
    return server


def refused(request: Request, exc: Exception) -> Response:
    """A refusal: plain text for the ribbon (its message box shows the body), JSON elsewhere."""
    if isinstance(exc, Refused):
        status, message = exc.status, exc.message
    elif isinstance(exc, HTTPException):
        status = exc.status_code
        message = {
            404: "ページが見つかりません。",
            405: "この方法では使えません。",
            413: "ファイルが大きすぎます。",
        }.get(status, "要求を処理できません。")
        if status == 413:
            return too_large(server_of(request).config.max_bytes, request.url.path)
    else:
        log.error("unexpected error on %s", request.url.path, exc_info=exc)
        status, message = 500, "サーバーで処理を続けられませんでした。事務局に連絡してください。"
    if request.url.path.startswith("/xlwings/") or not request.url.path.startswith("/api/"):
        return PlainTextResponse(message, status_code=status)
    return JSONResponse({"error": message}, status_code=status)


async def xlwings_button(request: Request) -> Response:
    """A ribbon button of the server add-in: the actions for RunServerPython."""
    server = server_of(request)
    who = server.require(request)
    button = request.path_params["button"]
    body = await request.body()
    try:
        payload = parse_payload(body)
    except PayloadError as exc:
        raise Refused(400, str(exc)) from exc
    if button == "clear":
        return JSONResponse(clear_answer(payload).answer())
    if button != "check":
        raise Refused(404, f"ボタン「{button}」に対応する処理がありません。")
    result = await server.batcher.check_payload(payload)
    server.admit(result, who)
    return JSONResponse(check_actions(payload, result).answer())


async def api_check(request: Request) -> Response:
    """Check an uploaded form: its findings and a link to the marked copy."""
    server = server_of(request)
    who = server.require(request)
    path, name, result = await server.checked_upload(request, who)
    digest = server.remember(path, name, result)
    assert result.meta is not None
    return JSONResponse(
        {
            "name": name,
            "digest": digest,
            "division": result.meta.division,
            "fy": result.meta.fiscal_year,
            "valid": result.report.valid,
            "counts": result.report.counts_ja(),
            "findings": server.findings_json(result),
            "marked": f"/api/marked/{digest}",
        }
    )


async def api_marked(request: Request) -> Response:
    """The marked copy of a checked upload (own division's, or any for the secretariat)."""
    server = server_of(request)
    who = server.require(request)
    digest = str(request.path_params["digest"])
    upload = server.uploads.get(digest)
    if upload is None or not upload.path.is_file():
        raise Refused(404, "チェック結果が見つかりません。もう一度ファイルをチェックしてください。")
    if not who.secretariat and upload.division_key != who.division_key:
        raise Refused(403, "ほかの担当課の調査票は見られません。")
    out = server.uploads_dir / f"{digest}_marked.xlsx"
    if not out.is_file():
        await server.run(server.checker, write_marked_copy, upload.path, upload.result.report, out)
    stem = upload.name.rsplit(".", 1)[0]
    return FileResponse(
        out,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": attachment(f"{stem}_チェック結果.xlsx")},
    )


def attachment(name: str) -> str:
    """A Content-Disposition for a Japanese file name (RFC 6266 / 5987)."""
    return f"attachment; filename=\"download.xlsx\"; filename*=UTF-8''{quote(name)}"


async def api_submit(request: Request) -> Response:
    """提出: check the form, then store it in the archive and the ledger at once."""
    server = server_of(request)
    who = server.require(request)
    path, name, result = await server.checked_upload(request, who)
    assert result.meta is not None
    key = result.meta.division_key
    # Submissions queue for the one writer, in the order they arrive: a later one of the
    # same division supersedes the earlier. Only a pile-up of one division is refused.
    if server.pending.get(key, 0) >= MAX_PENDING:
        raise Refused(
            409,
            f"「{result.meta.division}」の提出を保存しているところです。"
            "終わってから、もう一度提出してください。",
        )
    server.pending[key] = server.pending.get(key, 0) + 1
    try:
        fy = str(server.fy)
        stored = await server.run(server.writer, server.store.submit, path, name, result, fy)
    finally:
        server.pending[key] -= 1
    server.remember(path, name, result)
    return JSONResponse(
        {
            "submission": stored.as_dict(),
            "message": f"{stored.division} の調査票を受け付けました（{stored.state}）。",
            "counts": result.report.counts_ja(),
        }
    )


async def api_submissions(request: Request) -> Response:
    """Submissions: the division's own, or every division's for the secretariat."""
    server = server_of(request)
    who = server.require(request)
    key = None if who.secretariat else who.division_key
    items = await asyncio.to_thread(server.store.submissions, str(server.fy), key)
    return JSONResponse([s.as_dict() for s in items])


async def api_status(request: Request) -> Response:
    """提出状況 for the secretariat's page."""
    server = server_of(request)
    server.require(request, secretariat=True)
    rows = await asyncio.to_thread(server.store.status, server.plan, server.fy)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["state"]] = counts.get(row["state"], 0) + 1
    duplicates = sum(1 for row in rows if row["superseded"])
    return JSONResponse(
        {"fy": str(server.fy), "rows": rows, "counts": counts, "duplicates": duplicates}
    )


async def api_consolidate(request: Request) -> Response:
    """取りまとめ of the current submissions into the master workbook."""
    server = server_of(request)
    server.require(request, secretariat=True)
    summary, _ = await server.run(server.writer, server.store.consolidate, server.plan, server.fy)
    return JSONResponse({"summary": summary, "master": "/api/master"})


async def api_master(request: Request) -> Response:
    """The master workbook of the last 取りまとめ."""
    server = server_of(request)
    server.require(request, secretariat=True)
    path = server.store.master(server.fy)
    if path is None:
        raise Refused(404, "まだ取りまとめていません。「取りまとめ」を押してください。")
    return FileResponse(
        path,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": attachment(path.name)},
    )


async def api_keys(request: Request) -> Response:
    """The division keys to hand out (secretariat only)."""
    server = server_of(request)
    server.require(request, secretariat=True)
    return JSONResponse(
        [
            {"division": server.division_name(k), "key": server.config.division_key(k)}
            for k in server.divisions
        ]
    )


async def api_login(request: Request) -> Response:
    """Log in with a division key, or with the secretariat's password."""
    server = server_of(request)
    try:
        data = await request.json()
    except ValueError as exc:
        raise Refused(400, "ログインの内容を読めません。") from exc
    key = str(data.get("key", "")).strip() if isinstance(data, dict) else ""
    password = str(data.get("password", "")) if isinstance(data, dict) else ""
    if password:
        ok = await asyncio.to_thread(verify_password, password, server.config.secretariat_hash)
        if not ok:
            raise Refused(401, "パスワードが違います。")
        who = Principal(ROLE_SECRETARIAT)
    else:
        division = server.config.division_of_key(key, server.divisions)
        if division is None:
            raise Refused(401, "キーが正しくありません。事務局から配られたキーを確かめてください。")
        who = Principal(ROLE_DIVISION, division)
    response = JSONResponse(me_json(server, who))
    response.set_cookie(
        COOKIE,
        server.config.session_cookie(who),
        max_age=8 * 3600,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


async def api_logout(request: Request) -> Response:
    """Forget the session."""
    response = JSONResponse({"ok": True})
    response.delete_cookie(COOKIE)
    return response


def me_json(server: Server, who: Principal) -> dict[str, Any]:
    """Who is logged in, for the pages."""
    return {
        "role": who.role,
        "division": server.division_name(who.division_key) if who.division_key else "",
        "fy": str(server.fy),
        "fy_ja": server.fy.label_ja(),
    }


async def api_me(request: Request) -> Response:
    """The logged-in principal."""
    server = server_of(request)
    return JSONResponse(me_json(server, server.require(request)))


async def page_division(request: Request) -> Response:
    """The 担当課 page: check and submit a form."""
    return HTMLResponse(pages.DIVISION)


async def page_admin(request: Request) -> Response:
    """The 事務局 page: 提出状況, 取りまとめ, keys."""
    return HTMLResponse(pages.ADMIN)


async def healthz(request: Request) -> Response:
    """For the service manager and the reverse proxy."""
    return PlainTextResponse("ok")


def create_app(config: Config, plan: Plan | None = None) -> ASGIApp:
    """The ASGI app over a server root (its settings already loaded)."""
    server = Server(config, plan)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            server.close()
            shutil.rmtree(server.uploads_dir / ".tmp", ignore_errors=True)

    routes = [
        Route("/", page_division),
        Route("/admin", page_admin),
        Route("/healthz", healthz),
        Route("/xlwings/{button}", xlwings_button, methods=["POST"]),
        Route("/api/login", api_login, methods=["POST"]),
        Route("/api/logout", api_logout, methods=["POST"]),
        Route("/api/me", api_me),
        Route("/api/check", api_check, methods=["POST"]),
        Route("/api/marked/{digest:str}", api_marked),
        Route("/api/submit", api_submit, methods=["POST"]),
        Route("/api/submissions", api_submissions),
        Route("/api/status", api_status),
        Route("/api/consolidate", api_consolidate, methods=["POST"]),
        Route("/api/master", api_master),
        Route("/api/keys", api_keys),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={Refused: refused, HTTPException: refused, Exception: refused},
        lifespan=lifespan,
    )
    app.state.server = server
    return BodyLimit(app, config.max_bytes)
