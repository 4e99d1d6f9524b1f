"""Describe written workbooks as JSON (read back with openpyxl) and diff two descriptions.

Used to check that a change of writer keeps the master and the forms the same cell for cell:

    python benchmarks/compare_master.py make DIR        # deterministic master, r3 master, form
    python benchmarks/compare_master.py dump DIR OUT.json
    python benchmarks/compare_master.py diff BEFORE.json AFTER.json

`make` writes, with the library on the path, the demo's master (fixed time), the tests' R3
master (submissions and findings) and the R4 forms; `dump` describes every .xlsx below DIR:
each cell's value and style (font, fill, border, alignment, number format, protection),
merges, row heights, column widths, panes, print set-up, page breaks, validations,
conditional formats, protection, comments, sheet states, properties and chart series.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.cell.cell import Cell

NOW = datetime(2022, 5, 30, 0, 0, tzinfo=UTC)


def make(out: Path) -> None:
    """Write the workbooks to compare into `out` with the library on the path."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from dataclasses import replace

    from miedx_xl.consolidation import consolidate
    from miedx_xl.demo import DEMO_FY, report_inputs
    from miedx_xl.form.layout import form_file_name
    from miedx_xl.form.write import fill_form, make_forms
    from miedx_xl.master.write import write_master
    from miedx_xl.normalize import FiscalYear
    from miedx_xl.plan.model import load_plan
    from tests.test_master_write import r3_result

    plan = load_plan()
    forms = make_forms(plan, DEMO_FY, out / "forms", now=NOW)
    back = out / "returned"
    for key, form in zip(plan.divisions(), forms, strict=True):
        target = back / form_file_name(DEMO_FY, plan.division_name(key, DEMO_FY))
        fill_form(form, target, **report_inputs(plan, DEMO_FY, key))
    result = consolidate(back, DEMO_FY, plan, archive=out / "archive", now=NOW)
    result = replace(result, run_at=NOW.isoformat(timespec="seconds"))
    write_master(result, out / "master" / "demo.xlsx")
    write_master(r3_result(), out / "master" / "r3.xlsx")
    make_forms(plan, FiscalYear(4), out / "forms_r4", now=NOW)


def _color(c: Any) -> Any:
    if c is None:
        return None
    if c.type == "rgb":
        return str(c.rgb)[-6:].upper()
    if c.type == "theme":
        return f"theme:{c.theme}:{c.tint}"
    return f"{c.type}:{c.value}"


def _style(cell: Cell) -> dict[str, Any]:
    f, fl, b, a, p = cell.font, cell.fill, cell.border, cell.alignment, cell.protection
    return {
        "font": [f.name, float(f.sz or 11), bool(f.b), bool(f.i), _color(f.color)],
        "fill": [fl.fill_type, _color(fl.fgColor)] if fl.fill_type else None,
        "border": [
            [s.style, _color(s.color)] if s is not None and s.style else None
            for s in (b.left, b.right, b.top, b.bottom)
        ],
        "align": [a.horizontal, a.vertical, bool(a.wrap_text), bool(a.shrink_to_fit)],
        "numfmt": cell.number_format,
        "locked": bool(p.locked),
    }


def _default_style() -> dict[str, Any]:
    from openpyxl import Workbook

    ws = Workbook().active
    assert ws is not None
    return _style(ws["A1"])


def _chart(chart: Any) -> dict[str, Any]:
    def ref(x: Any) -> Any:
        if x is None:
            return None
        for kind in ("strRef", "numRef"):
            r = getattr(x, kind, None)
            if r is not None:
                return r.f
        return None

    def labels(d: Any) -> Any:
        if d is None:
            return None
        keys = ("showVal", "showCatName", "showSerName", "showLegendKey", "showPercent")
        return {k: getattr(d, k) for k in keys} | {"pos": d.dLblPos}

    def title(t: Any) -> Any:
        if t is None or t.tx is None or t.tx.rich is None:
            return None
        runs = [r for p in t.tx.rich.p for r in (p.r or [])]
        return "".join(r.t for r in runs)

    anchor = chart.anchor
    start = getattr(anchor, "_from", None)
    return {
        "type": chart.tagname,
        "grouping": getattr(chart, "grouping", None),
        "overlap": getattr(chart, "overlap", None),
        "title": title(chart.title),
        "y_title": title(chart.y_axis.title),
        "y_min": chart.y_axis.scaling.min,
        "legend": chart.legend.position if chart.legend is not None else None,
        "from": [start.col, start.row] if start is not None else None,
        "series": [
            {
                "name": s.tx.strRef.f if s.tx is not None and s.tx.strRef else None,
                "cat": ref(s.cat),
                "val": ref(s.val),
                "smooth": s.smooth,
                "marker": [s.marker.symbol, s.marker.size] if s.marker is not None else None,
                "labels": labels(s.dLbls),
            }
            for s in chart.series
        ],
        "labels": labels(chart.dataLabels),
    }


def describe(path: Path) -> dict[str, Any]:
    """A JSON-able description of one workbook."""
    wb = load_workbook(path)
    default = _default_style()
    props = wb.properties
    out: dict[str, Any] = {
        "sheets": wb.sheetnames,
        "active": wb.active.title if wb.active is not None else None,
        "properties": {
            "title": props.title,
            "creator": props.creator,
            "created": props.created.isoformat() if props.created else None,
        },
    }
    for ws in wb.worksheets:
        cells = {}
        for _, cell in sorted(ws._cells.items()):
            style = _style(cell)
            if cell.value is None and style == default:
                continue
            cells[cell.coordinate] = {"v": cell.value, "t": cell.data_type} | {
                k: v for k, v in style.items() if v != default[k]
            }
        ps, po, pm = ws.page_setup, ws.print_options, ws.page_margins
        heads = {}
        for name in ("oddHeader", "oddFooter"):
            hf = getattr(ws, name)
            heads[name] = [hf.left.text, hf.center.text, hf.right.text]
        pr = ws.protection
        out[ws.title] = {
            "state": ws.sheet_state,
            "cells": cells,
            "merges": sorted(str(m) for m in ws.merged_cells.ranges),
            "heights": {
                r: d.height for r, d in sorted(ws.row_dimensions.items()) if d.height is not None
            },
            # Per column: a writer may group equal neighbours into one <col min max>.
            "widths": {
                c: d.width
                for _, d in sorted(ws.column_dimensions.items())
                if d.customWidth
                for c in range(d.min or 0, (d.max or 0) + 1)
            },
            "freeze": ws.freeze_panes,
            "print_titles": ws.print_title_rows,
            "print_area": ws.print_area,
            "page": [
                ps.orientation,
                str(ps.paperSize),
                ps.fitToWidth,
                ps.fitToHeight,
                ws.sheet_properties.pageSetUpPr.fitToPage
                if ws.sheet_properties.pageSetUpPr
                else None,
            ],
            "print_options": [po.horizontalCentered, po.verticalCentered, po.gridLines],
            "margins": [pm.left, pm.right, pm.top, pm.bottom, pm.header, pm.footer],
            "header_footer": heads,
            "row_breaks": [b.id for b in ws.row_breaks.brk],
            "validations": sorted(
                [
                    str(dv.sqref),
                    dv.type,
                    dv.operator,
                    dv.formula1,
                    bool(dv.allow_blank),
                    bool(dv.showInputMessage),
                    bool(dv.showErrorMessage),
                    dv.errorStyle,
                    dv.promptTitle,
                    dv.prompt,
                    dv.errorTitle,
                    dv.error,
                ]
                for dv in ws.data_validations.dataValidation
            ),
            "conditional": sorted(
                [
                    str(cf.sqref),
                    [
                        [
                            rule.type,
                            rule.formula,
                            rule.dxf.fill.fill_type if rule.dxf and rule.dxf.fill else None,
                            _color(rule.dxf.fill.bgColor) if rule.dxf and rule.dxf.fill else None,
                        ]
                        for rule in cf.rules
                    ],
                ]
                for cf in ws.conditional_formatting
            ),
            "protection": {
                k: getattr(pr, k)
                for k in (
                    "sheet",
                    "objects",
                    "scenarios",
                    "formatCells",
                    "formatColumns",
                    "formatRows",
                    "insertColumns",
                    "insertRows",
                    "insertHyperlinks",
                    "deleteColumns",
                    "deleteRows",
                    "selectLockedCells",
                    "selectUnlockedCells",
                    "sort",
                    "autoFilter",
                    "pivotTables",
                    "password",
                )
            },
            "comments": {
                c.coordinate: [c.comment.text, c.comment.author]
                for row in ws.iter_rows()
                for c in row
                if c.comment is not None
            },
            "charts": [_chart(ch) for ch in ws._charts],
        }
    return out


def dump(folder: Path, target: Path) -> None:
    """Describe every workbook below `folder` into the JSON file `target`."""
    books = {
        str(p.relative_to(folder)): describe(p)
        for p in sorted(folder.rglob("*.xlsx"))
        if "archive" not in p.parts
    }
    target.write_text(json.dumps(books, ensure_ascii=False, indent=1, default=str), "utf-8")


def _walk(a: Any, b: Any, where: str, out: list[str]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            if k not in a:
                out.append(f"{where}/{k}: only after: {json.dumps(b[k], ensure_ascii=False)}")
            elif k not in b:
                out.append(f"{where}/{k}: only before: {json.dumps(a[k], ensure_ascii=False)}")
            else:
                _walk(a[k], b[k], f"{where}/{k}", out)
    elif a != b:
        before, after = json.dumps(a, ensure_ascii=False), json.dumps(b, ensure_ascii=False)
        out.append(f"{where}: {before} -> {after}")


def diff(before: Path, after: Path) -> int:
    """Print every difference between two descriptions; return how many there are."""
    out: list[str] = []
    _walk(json.loads(before.read_text("utf-8")), json.loads(after.read_text("utf-8")), "", out)
    for line in out:
        print(line)
    print(f"{len(out)} differences")
    return len(out)


def main() -> None:
    """Command line: make DIR | dump DIR OUT.json | diff A.json B.json."""
    cmd, *args = sys.argv[1:]
    if cmd == "make":
        make(Path(args[0]))
    elif cmd == "dump":
        dump(Path(args[0]), Path(args[1]))
    elif cmd == "diff":
        sys.exit(1 if diff(Path(args[0]), Path(args[1])) else 0)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
