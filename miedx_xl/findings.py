"""Findings: data problems collected, never raised, each with a file, sheet and cell."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from miedx_xl.codes import CODES, Severity


class _Blank(dict[str, Any]):
    """Format mapping that leaves unknown placeholders empty instead of failing."""

    def __missing__(self, key: str) -> str:
        return ""


@dataclass(frozen=True)
class Finding:
    """One problem: its stable code and where it is, with a message in Japanese and English."""

    code: str
    severity: Severity
    file: str
    sheet: str | None
    cell: str | None
    message_ja: str
    message_en: str

    def as_dict(self) -> dict[str, Any]:
        """The finding as the JSON object of DESIGN.md."""
        return asdict(self)


def finding(
    code: str,
    file: str,
    sheet: str | None = None,
    cell: str | None = None,
    **params: Any,
) -> Finding:
    """Make a finding of `code`, filling its message templates with `params`."""
    spec = CODES[code]
    values = _Blank({k: ("" if v is None else v) for k, v in params.items()})
    return Finding(
        code=code,
        severity=spec.severity,
        file=file,
        sheet=sheet,
        cell=cell,
        message_ja=spec.message_ja.format_map(values).strip(),
        message_en=spec.message_en.format_map(values).strip(),
    )


_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


@dataclass
class Report:
    """All findings of one check or one run."""

    findings: list[Finding] = field(default_factory=list)

    def __iter__(self) -> Iterator[Finding]:
        return iter(self.findings)

    def __len__(self) -> int:
        return len(self.findings)

    def add(self, item: Finding) -> None:
        """Append one finding."""
        self.findings.append(item)

    def extend(self, items: Iterable[Finding]) -> None:
        """Append findings."""
        self.findings.extend(items)

    @property
    def valid(self) -> bool:
        """True when no finding is an error."""
        return not any(f.severity == "error" for f in self.findings)

    def count(self, severity: Severity) -> int:
        """Number of findings of one severity."""
        return sum(1 for f in self.findings if f.severity == severity)

    def counts_ja(self) -> str:
        """The counts line shown by every face: エラー 2 件、警告 0 件、情報 1 件."""
        return (
            f"エラー {self.count('error')} 件、警告 {self.count('warning')} 件、"
            f"情報 {self.count('info')} 件"
        )

    def codes(self) -> Counter[str]:
        """How many findings of each code."""
        return Counter(f.code for f in self.findings)

    def flatten(self, fields: Sequence[str] = ("code", "sheet", "cell")) -> list[list[Any]]:
        """The findings as rows of the named fields (for tests and tables)."""
        return [[getattr(f, name) for name in fields] for f in self.findings]

    def sorted(self) -> Report:
        """A copy ordered by file, sheet, row, column, then severity."""
        return Report(sorted(self.findings, key=_sort_key))

    def to_json(self) -> str:
        """The findings as a JSON list (DESIGN.md)."""
        return json.dumps([f.as_dict() for f in self.findings], ensure_ascii=False, indent=1)


def _sort_key(f: Finding) -> tuple[str, str, int, str, int, str]:
    row, col = _split_cell(f.cell)
    return (f.file, f.sheet or "", row, col, _SEVERITY_ORDER[f.severity], f.code)


def _split_cell(cell: str | None) -> tuple[int, str]:
    if not cell:
        return (0, "")
    letters = cell.rstrip("0123456789")
    digits = cell[len(letters) :]
    return (int(digits) if digits else 0, letters.rjust(3))
