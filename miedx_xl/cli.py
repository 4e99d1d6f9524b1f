"""The `miedx-xl` command line: one short function per command, each calling the library."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path


def cmd_demo(args: argparse.Namespace) -> int:
    """Run the cycle on the built-in R3 plan."""
    from miedx_xl.demo import run_demo

    summary = run_demo(Path(args.out_dir))
    print(summary.text())
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every command."""
    parser = argparse.ArgumentParser(
        prog="miedx-xl",
        description="デジタル戦略推進計画の進捗管理（PDCA）: 様式作成・入力チェック・取りまとめ",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = sub.add_parser(
        "demo",
        help="組み込みの R3 データで一連の処理を実行する",
        description="Example: miedx-xl demo demo-out",
    )
    demo.add_argument("out_dir", metavar="OUT_DIR")
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (0 ok, 1 errors found, 2 usage error)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except (OSError, ValueError) as exc:
        print(f"miedx-xl: エラー: {exc}", file=sys.stderr)
        return 2
