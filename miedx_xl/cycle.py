"""The steps of a fiscal year as the faces run them: each command, ribbon button and server
request that does one of these calls one function here, so the steps exist once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from miedx_xl.errors import MiedxError, UsageError
from miedx_xl.files import locked, remove_stale_temporaries
from miedx_xl.form.source import MAX_BYTES

if TYPE_CHECKING:
    from miedx_xl.consolidation import Consolidation
    from miedx_xl.findings import Report
    from miedx_xl.normalize import FiscalYear
    from miedx_xl.plan.model import Plan

Progress = Callable[[int, int], None]


def open_year(
    fy: FiscalYear,
    out_dir: Path,
    plan_from: Path | None = None,
    progress: Progress | None = None,
    any_year: bool = False,
) -> list[Path]:
    """様式作成: one form per 担当課 for `fy`, from the built-in plan or last year's master."""
    from miedx_xl.form.write import make_forms
    from miedx_xl.inputs import check_year
    from miedx_xl.master.read import read_master_plan
    from miedx_xl.plan.model import load_plan

    plan = read_master_plan(plan_from) if plan_from else load_plan()
    if not any_year:
        check_year(plan, fy)
    # Measures ended before `fy` (or added after it) get no form row.
    return make_forms(plan.in_year(fy), fy, out_dir, progress=progress)


def check_paths(paths: Sequence[Path], mark: bool = False) -> tuple[Report, list[Path]]:
    """入力チェック of files: all findings, and the marked copies written (with `mark`)."""
    from miedx_xl.findings import Report, finding
    from miedx_xl.form.check import check_file
    from miedx_xl.form.mark import write_marked_copy

    report = Report()
    marked = []
    for path in paths:
        result = check_file(path)
        report.extend(result.report)
        if not mark or result.meta is None:
            continue
        too_large = [f for f in result.report if f.code in ("sheet-too-large", "file-too-large")]
        if too_large:
            report.add(finding("mark-failed", str(path), reason="シートが大きすぎるため"))
            continue
        try:
            marked.append(write_marked_copy(path, result.report, inputs=paths))
        except Exception as exc:  # one file that openpyxl cannot edit must not stop the batch
            report.add(finding("mark-failed", str(path), reason=_mark_reason(exc)))
    return report, marked


def _mark_reason(exc: BaseException) -> str:
    """Why a marked copy could not be written, in words a user can act on."""
    import errno

    name = type(exc).__name__
    if isinstance(exc, OSError) and exc.errno == errno.ENAMETOOLONG:
        return "ファイル名が長すぎるため"
    if isinstance(exc, OSError):
        return f"ファイルを書き込めないため（{exc.strerror or exc}）"
    if "DTD" in name or "Entities" in name or "Forbidden" in name:
        return "ファイルの中に、安全のため読まない XML の宣言（DOCTYPE など）があるため"
    if name == "IllegalCharacterError":
        return "書き込めない制御文字が含まれているため"
    if isinstance(exc, MiedxError):
        return str(exc)
    return f"このファイルを編集できないため（{name}）"


def close_year(
    folder: Path,
    fy: FiscalYear,
    out: Path,
    archive: Path | None = None,
    max_bytes: int = MAX_BYTES,
    progress: Progress | None = None,
    keep: Iterable[Path] = (),
    any_year: bool = False,
    plan: Plan | None = None,
    plan_from: Path | None = None,
) -> tuple[Consolidation, Path]:
    """取りまとめ: consolidate the returned forms in `folder` and write the master to `out`.

    The plan is `plan`, else last year's master `plan_from` read back (with the renames and
    measure changes beside it: the plan the forms were made from), else the built-in one.

    `keep` names files that must not be replaced (the workbook a button was pressed in).
    Refused (UsageError): an output inside the folder or that is not a master of ours (an
    earlier master is kept as a dated backup), and a second run on the same output. The
    ledger records whether the master was written.
    """
    from miedx_xl.archive import OUTCOME_COMPLETED, OUTCOME_FAILED, set_outcome
    from miedx_xl.consolidation import consolidate
    from miedx_xl.master.read import is_master_file
    from miedx_xl.master.write import write_master

    if not folder.is_dir():
        raise UsageError(f"提出フォルダ「{folder}」がありません。フォルダを確かめてください。")
    for kept in keep:
        if kept.resolve() == out.resolve():
            raise UsageError(
                f"開いているブック「{kept.name}」が取りまとめ結果の書き出し先のため、書き直せません。"
                "設定は別のブック（例: 事務局.xlsx）に置いてください。"
            )
    if out.resolve().is_relative_to(folder.resolve()):
        raise UsageError(
            f"取りまとめ結果の書き出し先「{out}」が提出フォルダ「{folder}」の中にあります。"
            "提出された様式を上書きしないよう、提出フォルダの外を指定してください。"
        )
    if out.exists() and not is_master_file(out):
        raise UsageError(
            f"「{out}」は取りまとめ結果（このツールが書いたマスターブック）ではないため、"
            "上書きしません。別のファイル名を指定してください。"
        )
    if plan is None and plan_from is not None:
        from miedx_xl.master.read import read_master_plan

        plan = read_master_plan(plan_from)
    with locked(out):
        remove_stale_temporaries(out)
        result = consolidate(
            folder,
            fy,
            plan=plan,
            archive=archive,
            max_bytes=max_bytes,
            progress=progress,
            any_year=any_year,
        )
        try:
            master = write_master(result, out)
        except BaseException:
            if result.archive is not None and result.run_id is not None:
                set_outcome(result.archive, result.run_id, OUTCOME_FAILED)
            raise
        if result.archive is not None and result.run_id is not None:
            set_outcome(result.archive, result.run_id, OUTCOME_COMPLETED, master)
    return result, master


def rebuild_year(fy: FiscalYear, archive: Path, out: Path) -> tuple[Consolidation, Path]:
    """An earlier year's master again, from the archive's ledger alone (the run's own time
    stamp); refused (UsageError) when the ledger has no record of the year or `out` is a
    file that is not a master of ours (an earlier master is kept as a dated backup)."""
    from miedx_xl.master.read import is_master_file
    from miedx_xl.master.write import write_master
    from miedx_xl.rebuild import rebuild

    if not archive.is_dir():
        raise UsageError(f"取りまとめ履歴のフォルダ「{archive}」がありません。")
    if out.exists() and not is_master_file(out):
        raise UsageError(
            f"「{out}」は取りまとめ結果（このツールが書いたマスターブック）ではないため、"
            "上書きしません。別のファイル名を指定してください。"
        )
    with locked(out):
        remove_stale_temporaries(out)
        result = rebuild(archive, fy)
        master = write_master(result, out)
    return result, master


def example_year(
    previous_master: Path,
    out_dir: Path,
    fy: FiscalYear,
    now: datetime | None = None,
) -> tuple[Consolidation, Path]:
    """The year after a master on the invented example input (架空の入力例, not the
    report's figures): its 改称.csv and 取組の追加・終了.csv beside the master, `fy`'s forms
    from it, filled as the example's divisions would, consolidated into `out_dir`'s
    取りまとめ履歴 and written as `out_dir/進捗管理表_<fy>.xlsx`."""
    from miedx_xl.consolidation import consolidate
    from miedx_xl.form.write import fill_form, make_forms
    from miedx_xl.inputs import ARCHIVE_NAME
    from miedx_xl.master.read import read_master_plan
    from miedx_xl.master.write import write_master
    from miedx_xl.plan.examples import (
        example_changes,
        example_inputs,
        example_renames,
        write_changes_file,
        write_renames_file,
    )

    folder = previous_master.parent
    write_changes_file(folder, example_changes())
    write_renames_file(folder, example_renames())
    plan = read_master_plan(previous_master)
    year = plan.in_year(fy)
    forms = make_forms(year, fy, out_dir / "様式" / str(fy), now=now)
    returned = out_dir / f"返送{fy}"
    for key, form in zip(year.divisions(), forms, strict=True):
        fill_form(form, returned / form.name, **example_inputs(plan, fy, key))
    result = consolidate(returned, fy, plan, archive=out_dir / ARCHIVE_NAME, now=now)
    return result, write_master(result, out_dir / f"進捗管理表_{fy}.xlsx")


def close_message(result: Consolidation, master: Path) -> str:
    """What 取りまとめ tells the user when it is done."""
    return (
        f"取りまとめが終わりました。\n{result.summary_ja()}\n"
        f"{result.report.counts_ja()}\nマスターブック: {master}"
    )
