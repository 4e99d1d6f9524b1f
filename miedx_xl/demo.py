"""`miedx-xl demo`: the whole cycle on the built-in R3 plan."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from miedx_xl.plan import load_plan
from miedx_xl.planbook import write_plan_book


@dataclass
class DemoSummary:
    """What the demo wrote and the plan's counts."""

    out_dir: Path
    areas: int
    measures: int
    rows: int
    indicators: int
    files: list[Path] = field(default_factory=list)

    def text(self) -> str:
        """A short Japanese summary for the terminal."""
        lines = [
            f"個別取組 {self.areas} 件、取組 {self.measures} 件（再掲を含む行 {self.rows} 行）、"
            f"指標 {self.indicators} 件",
            *[f"  出力: {p}" for p in self.files],
        ]
        return "\n".join(lines)


def run_demo(out_dir: Path) -> DemoSummary:
    """Write the built-in plan as a workbook under `out_dir`; later steps grow from here."""
    plan = load_plan()
    out_dir.mkdir(parents=True, exist_ok=True)
    book = write_plan_book(plan, out_dir / "計画_R3.xlsx")
    return DemoSummary(
        out_dir=out_dir,
        areas=len(plan.areas),
        measures=int(plan.numbered()["no"].nunique()),
        rows=len(plan.measures),
        indicators=int(plan.indicators["id"].nunique()),
        files=[book],
    )
