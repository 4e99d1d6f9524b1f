"""A run's inputs: which files below a submission folder are read, where they are archived,
and which fiscal years a run may be for. Links are never followed and folders that cannot
be read are findings, never a silent gap."""

from __future__ import annotations

import os
from pathlib import Path

from miedx_xl.errors import UsageError
from miedx_xl.findings import Finding, Report, finding
from miedx_xl.normalize import FiscalYear
from miedx_xl.plan.model import Plan

ARCHIVE_NAME = "取りまとめ履歴"


def check_year(plan: Plan, fy: FiscalYear) -> None:
    """A fiscal year outside the plan's period and the year after it is a UsageError."""
    last = FiscalYear(plan.last_fy.reiwa + 1)
    if not plan.first_fy <= fy <= last:
        raise UsageError(
            f"{fy.label_ja()}（{fy}）は計画「{plan.name}」の期間"
            f"（{plan.first_fy}～{plan.last_fy}）とその翌年度（{last}）の外です。"
            "年度を確かめてください（意図した年度なら --any-year を付けてください）。"
        )


def default_archive(folder: Path) -> Path:
    """Where inputs are archived when no folder is given: beside the input folder."""
    return folder.resolve().parent / ARCHIVE_NAME


def input_files(folder: Path, archive: Path, report: Report) -> list[Path]:
    """Every file below `folder` (sorted), leaving out the archive and hidden files and
    folders. A link is not followed (a finding names it), and a folder that cannot be read
    is a finding, never a silent gap."""
    root, skip = folder.resolve(), archive.resolve()
    out: list[Path] = []

    def unreadable(exc: OSError) -> None:
        where = str(exc.filename or folder)
        report.add(finding("folder-unreadable", where, reason=exc.strerror or str(exc)))

    for dirpath, dirnames, filenames in os.walk(folder, onerror=unreadable):
        here = Path(dirpath)
        kept = []
        for name in sorted(dirnames):
            sub = here / name
            if name.startswith("."):
                continue
            if sub.is_symlink():
                report.add(_link_finding(sub, root))
                continue
            if sub.resolve().is_relative_to(skip):
                continue
            kept.append(name)
        dirnames[:] = kept
        for name in filenames:
            path = here / name
            if name.startswith("."):
                continue
            if path.is_symlink():
                report.add(_link_finding(path, root))
                continue
            out.append(path)
    return sorted(out)


def _link_finding(link: Path, root: Path) -> Finding:
    """link-skipped for a symbolic link (or junction) among the inputs."""
    try:
        target = link.resolve(strict=False)
        inside = target.is_relative_to(root)
    except (OSError, RuntimeError):  # a loop of links
        target, inside = link, False
    where = "提出フォルダの中" if inside else "提出フォルダの外"
    return finding("link-skipped", str(link), target=str(target), where=where)
