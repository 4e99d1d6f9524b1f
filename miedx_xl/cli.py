"""The `miedx-xl` command line: one short function per command, each calling the library."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from miedx_xl.errors import MiedxError, UsageError, message_ja
from miedx_xl.normalize import FiscalYear, parse_fiscal_year
from miedx_xl.server import add_serve_parser
from miedx_xl.startup import end_short_lived, start_short_lived


def cmd_demo(args: argparse.Namespace) -> int:
    """Run the cycle on the built-in R3 plan."""
    from miedx_xl.demo import run_demo

    summary = run_demo(Path(args.out_dir))
    print(summary.text())
    return 0


def _fiscal_year(text: str) -> FiscalYear:
    parsed = parse_fiscal_year(text)
    if parsed.value is None:
        raise argparse.ArgumentTypeError(f"年度「{text}」を読めません（例: R4、令和4年度、2022）")
    return parsed.value


def _report_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日付「{text}」を読めません（例: 2023-05-29）") from None


def cmd_forms(args: argparse.Namespace) -> int:
    """Write one form per 担当課."""
    from miedx_xl.cycle import open_year

    plan_from = Path(args.plan) if args.plan else None
    paths = open_year(
        args.fy, Path(args.out), plan_from, progress=_progress("様式作成"), any_year=args.any_year
    )
    for p in paths:
        print(p)
    print(f"{args.fy.label_ja()} の様式を {len(paths)} 件作成しました。", file=sys.stderr)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Check returned forms; print findings; optionally write marked copies."""
    from miedx_xl.cycle import check_paths

    report, marked = check_paths([Path(name) for name in args.files], mark=args.mark)
    for out in marked:
        print(f"チェック結果を書き込んだコピー: {out}", file=sys.stderr)
    if args.format == "json":
        print(report.to_json())
    else:
        for f in report:
            where = "!".join(x for x in (f.sheet, f.cell) if x)
            print(f"{f.file}:{where}: {f.severity} [{f.code}] {f.message_ja}")
        print(f"{report.counts_ja()}（{len(args.files)} ファイル）", file=sys.stderr)
    return 0 if report.valid else 1


def cmd_consolidate(args: argparse.Namespace) -> int:
    """Consolidate a folder of returned forms into the master workbook (or, with
    --rebuild, write an earlier year's master again from the archive)."""
    from miedx_xl.cycle import close_year, rebuild_year

    if args.rebuild:
        if not args.archive:
            raise UsageError("--rebuild には --archive（取りまとめ履歴のフォルダ）が必要です。")
        rebuilt, path = rebuild_year(args.fy, Path(args.archive), Path(args.out))
        print(
            f"{rebuilt.fy.label_ja()} の取りまとめ表を履歴から作り直しました（{rebuilt.run_at}）。"
        )
        print(f"取りまとめ表: {path}")
        return 0
    if args.dir is None:
        raise UsageError("返送された様式のフォルダ（DIR）を指定してください。")

    result, out = close_year(
        Path(args.dir),
        args.fy,
        Path(args.out),
        archive=Path(args.archive) if args.archive else None,
        max_bytes=int(args.max_mb * 1024 * 1024),
        progress=_progress("取りまとめ"),
        any_year=args.any_year,
        plan_from=Path(args.plan) if args.plan else None,
    )
    print(result.summary_ja())
    print(f"取りまとめ表: {out}")
    return 0 if result.report.valid else 1


def cmd_report(args: argparse.Namespace) -> int:
    """Write the report of a master workbook: slides, document, tables, PDF, open data."""
    from miedx_xl.report import write_report_files, write_report_pdf

    if args.out is None and args.pdf is None:
        raise UsageError("--out（出力フォルダ）か --pdf（PDF ファイル）を指定してください。")
    if args.out is not None:
        files = write_report_files(
            Path(args.master),
            Path(args.out),
            pdf=not args.no_pdf,
            memo_template=Path(args.memo_template) if args.memo_template else None,
            day=args.date,
        )
        for path in files.paths():
            print(path)
        print(f"報告書を {files.seconds['total']:.1f} 秒で作成しました。", file=sys.stderr)
    if args.pdf is not None:
        print(write_report_pdf(Path(args.master), Path(args.pdf)))
    return 0


def cmd_secret(args: argparse.Namespace) -> int:
    """Make the secretariat's key that seals the forms (never replacing one)."""
    from miedx_xl.form.seal import create_secret

    path = create_secret(Path(args.path) if args.path else None)
    print(f"様式を封印する鍵を作りました: {path}", file=sys.stderr)
    print("この鍵は共有フォルダに置かず、庁内サーバーにも同じファイルを渡してください。")
    return 0


def cmd_addin(args: argparse.Namespace) -> int:
    """Build the Excel add-in (any OS) or install it for this Windows user."""
    from miedx_xl.addin import build_addin, install_addin

    if args.action == "build":
        print(build_addin(Path(args.out), server=args.server))
    else:
        print(install_addin().text())
    return 0


def _progress(label: str) -> Callable[[int, int], None]:
    def show(done: int, total: int) -> None:
        if not sys.stderr.isatty():
            return
        width = 30
        filled = width * done // max(total, 1)
        end = "\n" if done >= total else ""
        bar = "#" * filled + "-" * (width - filled)
        print(f"\r{label} [{bar}] {done}/{total}", end=end, file=sys.stderr, flush=True)

    return show


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

    forms = sub.add_parser(
        "forms",
        help="担当課ごとの様式を作成する",
        description="Example: miedx-xl forms --fy R4 --out forms/R4",
    )
    forms.add_argument("--fy", required=True, type=_fiscal_year, help="年度（R4 など）")
    forms.add_argument("--out", required=True, help="出力フォルダ")
    forms.add_argument(
        "--plan", metavar="MASTER.xlsx", help="前年度の取りまとめ表（省略時は組み込みの計画）"
    )
    forms.add_argument(
        "--any-year", action="store_true", help="計画期間とその翌年度の外の年度も受け付ける"
    )
    forms.set_defaults(func=cmd_forms)

    check = sub.add_parser(
        "check",
        help="記入済みの様式を入力チェックする",
        description="Example: miedx-xl check 返送/*.xlsx --format json",
    )
    check.add_argument("files", nargs="+", metavar="FILE")
    check.add_argument("--format", choices=["text", "json"], default="text")
    check.add_argument("--mark", action="store_true", help="指摘をセルに書き込んだコピーを隣に作る")
    check.set_defaults(func=cmd_check)

    cons = sub.add_parser(
        "consolidate",
        help="返送された様式を取りまとめ表にまとめる",
        description="Example: miedx-xl consolidate 返送/R3 --fy R3 --out 進捗管理表_R3.xlsx ;"
        " miedx-xl consolidate --rebuild --fy R3 --archive 取りまとめ履歴 --out R3.xlsx",
    )
    cons.add_argument("dir", metavar="DIR", nargs="?", help="返送された様式のフォルダ")
    cons.add_argument(
        "--rebuild",
        action="store_true",
        help="その年度の取りまとめ表を、取りまとめ履歴（--archive）の記録だけから作り直す",
    )
    cons.add_argument("--fy", required=True, type=_fiscal_year, help="年度（R3 など）")
    cons.add_argument("--out", required=True, help="取りまとめ表（.xlsx）")
    cons.add_argument(
        "--archive", help="入力ファイルの保管先（省略時は DIR の隣の 取りまとめ履歴）"
    )
    cons.add_argument(
        "--plan",
        metavar="MASTER.xlsx",
        help="様式の元にした前年度の取りまとめ表（改称・取組の追加終了もそこから。省略時は組み込みの計画）",
    )
    cons.add_argument(
        "--max-mb", type=float, default=20.0, help="これより大きいファイルは読まない（MB）"
    )
    cons.add_argument(
        "--any-year", action="store_true", help="計画期間とその翌年度の外の年度も受け付ける"
    )
    cons.set_defaults(func=cmd_consolidate)

    rep = sub.add_parser(
        "report",
        help="取りまとめ表から報告書（資料２・２－２・２－２－１、PDF、オープンデータ）を作る",
        description="Example: miedx-xl report 進捗管理表_R3.xlsx --out 報告書/R3"
        " ; miedx-xl report 進捗管理表_R3.xlsx --pdf 報告書_R3.pdf",
    )
    rep.add_argument("master", metavar="MASTER.xlsx")
    rep.add_argument(
        "--out",
        metavar="DIR",
        help="出力フォルダ: 資料２_<年度>.pptx、資料２－２_<年度>.docx、資料２－２－１_<年度>.pdf、"
        "報告書_<年度>.pdf、進捗管理表_<年度>.csv、指標_<年度>.csv",
    )
    rep.add_argument("--pdf", metavar="OUT.pdf", help="資料２～２－２－１をまとめた PDF")
    rep.add_argument(
        "--no-pdf", action="store_true", help="--out で PDF を作らない（LibreOffice 不要）"
    )
    rep.add_argument(
        "--date",
        type=_report_date,
        metavar="YYYY-MM-DD",
        help="資料２－２ の日付（省略時は組み込みの報告の日付、それ以外の年度は今日）",
    )
    rep.add_argument(
        "--memo-template",
        metavar="DOCX",
        help="資料２－２ の書式の元（以前の 資料２－２ を Word でスタイル変更したもの）",
    )
    rep.set_defaults(func=cmd_report)

    sec = sub.add_parser(
        "secret",
        help="様式を封印する事務局の鍵を作る（固定欄の改ざんを見抜くため）",
        description="Example: miedx-xl secret init ; MIEDX_SECRET_FILE で場所を変えられます",
    )
    sec.add_argument("action", choices=["init"])
    sec.add_argument(
        "--path", help="鍵ファイル（省略時は MIEDX_SECRET_FILE か ~/.miedx/secret.key）"
    )
    sec.set_defaults(func=cmd_secret)

    add = sub.add_parser(
        "addin",
        help="Excel アドイン（miedx.xlam）を作る／この PC の Excel に入れる",
        description="Example: miedx-xl addin build --out workbooks ; miedx-xl addin install",
    )
    add.add_argument("action", choices=["build", "install"])
    add.add_argument("--out", default="workbooks", help="build の出力先（フォルダか .xlam）")
    add.add_argument(
        "--server",
        metavar="URL",
        help="担当課向け: ボタンが庁内サーバー（URL）で動くアドインと、その配布キットを作る",
    )
    add.set_defaults(func=cmd_addin)
    add_serve_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (0 ok, 1 errors found, 2 usage error)."""
    short_lived = argv is None  # run as the `miedx-xl` command: one action, then exit
    if short_lived:
        start_short_lived()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except (MiedxError, OSError) as exc:  # a step that cannot go on; anything else is a bug
        print(f"miedx-xl: エラー: {message_ja(exc)}", file=sys.stderr)
        return 2
    finally:
        if short_lived:
            end_short_lived()
