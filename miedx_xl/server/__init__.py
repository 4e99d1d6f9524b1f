"""The intranet server (`miedx-xl serve`): the division add-in's endpoint, pages, 提出状況.

Importing this package is cheap (the command line builds its parser from it); the app and
the library are imported when the server starts.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def serve(
    root: Path, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, fy: str | None = None
) -> int:
    """Run the server over `root` until stopped; the exit status (2 for a usage error)."""
    import uvicorn

    from miedx_xl.server.app import create_app
    from miedx_xl.server.config import ConfigError, init_config

    try:
        config, password = init_config(root, fy or default_fy())
        if fy and config.fy != fy:
            config.fy = fy
            config.save()
        app = create_app(config)
    except (ConfigError, ValueError, OSError) as exc:
        print(f"miedx-xl serve: エラー: {exc}", file=sys.stderr)
        return 2
    if password:
        print(
            f"事務局のパスワードを作りました（一度だけ表示します）: {password}\n"
            f"設定ファイル: {config.path}",
            file=sys.stderr,
        )
    uvicorn.run(app, host=host, port=port, proxy_headers=True, log_level="info")
    return 0


def default_fy() -> str:
    """The fiscal year whose progress is collected now: the one before the current one."""
    from datetime import date

    from miedx_xl.normalize import FiscalYear

    today = date.today()
    current = FiscalYear.of_year(today.year if today.month >= 4 else today.year - 1)
    return str(FiscalYear(max(current.reiwa - 1, 1)))


def _cmd_serve(args: argparse.Namespace) -> int:
    """The `serve` command."""
    return serve(Path(args.root), args.host, args.port, args.fy)


def add_serve_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the `serve` command to the `miedx-xl` parser's subparsers."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "serve",
        help="庁内サーバーを起動する（アドインの入力チェック・提出ページ・提出状況）",
        description="Example: miedx-xl serve --root /srv/miedx --host 127.0.0.1 --port 8000",
    )
    parser.add_argument("--root", required=True, help="保管庫・台帳・設定を置くフォルダ")
    parser.add_argument("--host", default=DEFAULT_HOST, help="待ち受けるアドレス")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="待ち受けるポート")
    parser.add_argument("--fy", help="受け付ける年度（R4 など。省略時は設定ファイルの年度）")
    parser.set_defaults(func=_cmd_serve)
    return parser
