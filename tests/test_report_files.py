"""The report of the demo master: 資料２ (pptx), 資料２－２ (docx), the tables and one PDF."""

from __future__ import annotations

import subprocess
import unicodedata
from pathlib import Path

import pytest
from docx import Document
from PIL import Image
from pptx import Presentation

from miedx_xl.cli import main
from miedx_xl.demo import DemoSummary, run_demo
from miedx_xl.master.read import read_master_plan
from miedx_xl.plan.model import Plan
from miedx_xl.report import ReportFiles
from tests.conftest import FIXED_TIME, require_soffice

STAMPS = ("資料２", "資料２－２", "資料２－２－１")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoSummary:
    require_soffice()
    return run_demo(tmp_path_factory.mktemp("demo"), now=FIXED_TIME)


@pytest.fixture(scope="module")
def files(demo: DemoSummary) -> ReportFiles:
    assert demo.report is not None and demo.report.pdf is not None
    return demo.report


@pytest.fixture(scope="module")
def master_plan(demo: DemoSummary) -> Plan:
    assert demo.master is not None
    return read_master_plan(demo.master)


def flat(text: str) -> str:
    """Text compared across formats: NFKC (pdftotext gives some ideographs as radicals), no
    whitespace (lines break where the page does)."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def pdf_text(
    pdf: Path, page: int | None = None, crop: tuple[int, int, int, int] | None = None
) -> str:
    cmd = ["pdftotext", "-raw", "-enc", "UTF-8"]
    if page is not None:
        cmd += ["-f", str(page), "-l", str(page)]
    if crop is not None:
        x, y, w, h = crop
        cmd += ["-r", "72", "-x", str(x), "-y", str(y), "-W", str(w), "-H", str(h)]
    return subprocess.run([*cmd, str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    line = next(x for x in info.stdout.splitlines() if x.startswith("Pages:"))
    return int(line.split()[1])


def test_demo_writes_every_report_file(files: ReportFiles) -> None:
    names = [p.name for p in files.paths()]
    assert names == [
        "資料２_R3.pptx",
        "資料２－２_R3.docx",
        "資料２－２－１_R3.pdf",
        "報告書_R3.pdf",
        "進捗管理表_R3.csv",
        "指標_R3.csv",
    ]


def test_slides_have_a_native_chart_of_the_rpa_hours(files: ReportFiles) -> None:
    prs = Presentation(str(files.slides))
    values = [
        tuple(series.values)
        for slide in prs.slides
        for shape in slide.shapes
        if shape.has_chart
        for series in shape.chart.plots[0].series
    ]
    assert (2681.0, 1479.0) in values
    assert (18392.0, 11047.0) in values
    texts = [
        shape.text_frame.text
        for slide in prs.slides
        for shape in slide.shapes
        if shape.has_text_frame
    ]
    assert "４４．８％の削減（１，２０２時間の削減）" in texts
    assert "６６所属にてビジネスチャットを試行（６６／３３０所属）" in texts
    assert any("対前年比４０％の削減" in t for t in texts)


def test_slides_list_the_areas_and_the_rpa_tasks(files: ReportFiles, master_plan: Plan) -> None:
    prs = Presentation(str(files.slides))
    every = "\n".join(
        shape.text_frame.text
        for slide in prs.slides
        for shape in slide.shapes
        if shape.has_text_frame
    )
    for title in master_plan.areas["title"]:
        assert title in every
    cells = [
        cell.text
        for slide in prs.slides
        for shape in slide.shapes
        if shape.has_table
        for row in shape.table.rows
        for cell in row.cells
    ]
    assert set(master_plan.rpa_tasks["task"]) <= set(cells)
    assert all(shape.text_frame.text != "資料２" or True for shape in prs.slides[0].shapes)


def test_document_has_date_department_and_every_area(files: ReportFiles, master_plan: Plan) -> None:
    doc = Document(str(files.memo))
    paras = [p.text for p in doc.paragraphs]
    assert paras[:2] == ["令和４年５月３０日", "デジタル戦略企画課"]
    assert "１　要旨" in paras
    for a in master_plan.areas.itertuples():
        assert any(p.endswith(str(a.title)) and p.startswith("（") for p in paras), a.title
        assert str(a.lead_R3) in paras
    assert doc.sections[0].header.paragraphs[0].text == "資料２－２"
    assert round(doc.sections[0].page_width.mm) == 210  # A4, not Letter


def test_combined_pdf_pages_come_in_order_with_their_stamps(files: ReportFiles) -> None:
    assert files.pdf is not None
    stamps = []
    for page in range(1, page_count(files.pdf) + 1):
        # The top right corner of the page (A4 landscape or portrait, in points).
        corner = flat(pdf_text(files.pdf, page, (380, 0, 470, 70)))
        found = [s for s in STAMPS if flat(s) in corner]
        assert found, (page, corner)
        stamps.append(max(found, key=len))
    kinds = [STAMPS.index(s) for s in stamps]
    assert kinds == sorted(kinds) and set(kinds) == {0, 1, 2}


def test_combined_pdf_has_every_area_and_measure(files: ReportFiles, master_plan: Plan) -> None:
    assert files.pdf is not None
    text = flat(pdf_text(files.pdf))
    for title in master_plan.areas["title"]:
        assert flat(str(title)) in text, title
    for title in master_plan.measures["title"]:
        assert flat(str(title)) in text, title


def test_table_rows_are_whole_and_headers_repeat(files: ReportFiles, master_plan: Plan) -> None:
    assert files.tables_pdf is not None
    pages = [
        flat(pdf_text(files.tables_pdf, n)) for n in range(1, page_count(files.tables_pdf) + 1)
    ]
    for m in master_plan.measures.itertuples():
        status = flat(str(m.status_R3)) if isinstance(m.status_R3, str) else ""
        if not status:
            continue
        holding = [i for i, p in enumerate(pages) if status in p]
        assert holding, f"NO {m.no}: its 取組状況 is split across pages or missing"
        for i in holding:
            assert flat("取組状況（R3までの取組）") in pages[i] and "担当課" in pages[i]


def test_chart_pages_are_not_blank(files: ReportFiles, tmp_path: Path) -> None:
    assert files.pdf is not None
    prs = Presentation(str(files.slides))
    width, height = prs.slide_width, prs.slide_height
    checked = 0
    for n, slide in enumerate(prs.slides, start=1):
        charts = [s for s in slide.shapes if s.has_chart]
        if not charts:
            continue
        subprocess.run(
            [
                "pdftoppm",
                "-r",
                "30",
                "-png",
                "-f",
                str(n),
                "-l",
                str(n),
                str(files.pdf),
                str(tmp_path / f"p{n}"),
            ],
            check=True,
        )
        (png,) = tmp_path.glob(f"p{n}*.png")
        image = Image.open(png).convert("RGB")
        for shape in charts:
            box = (
                shape.left * image.width // width,
                shape.top * image.height // height,
                (shape.left + shape.width) * image.width // width,
                (shape.top + shape.height) * image.height // height,
            )
            colours = image.crop(box).getcolors(maxcolors=1 << 24) or []
            total = sum(n for n, _ in colours)
            # Series are drawn in colour; a chart that failed to render leaves white or grey.
            coloured = sum(n for n, (r, g, b) in colours if max(r, g, b) - min(r, g, b) > 60)
            assert coloured > total * 0.003, f"slide {n}: chart area is blank"
        checked += 1
    assert checked >= 8


def test_report_command_writes_the_files_and_the_pdf(demo: DemoSummary, tmp_path: Path) -> None:
    assert demo.master is not None
    assert main(["report", str(demo.master), "--out", str(tmp_path / "out"), "--no-pdf"]) == 0
    assert (tmp_path / "out" / "資料２_R3.pptx").exists()
    assert not (tmp_path / "out" / "報告書_R3.pdf").exists()
    assert main(["report", str(demo.master), "--pdf", str(tmp_path / "r.pdf")]) == 0
    assert page_count(tmp_path / "r.pdf") == page_count(demo.report.pdf)  # type: ignore[union-attr]


def test_report_without_libreoffice_says_what_to_install(
    demo: DemoSummary,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import miedx_xl.report.pdf

    monkeypatch.setattr(miedx_xl.xlsx.office, "soffice_path", lambda: None)
    assert demo.master is not None
    assert main(["report", str(demo.master), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "LibreOffice" in err and "インストール" in err and "Traceback" not in err
    assert (tmp_path / "資料２_R3.pptx").exists()  # the editable files are there


def test_report_of_a_file_that_is_not_a_master(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "x.xlsx"
    other.write_bytes(b"not a workbook")
    assert main(["report", str(other), "--out", str(tmp_path / "o")]) == 2
    assert "取りまとめ結果" in capsys.readouterr().err
    assert main(["report", str(other)]) == 2


def test_a_restyled_memo_is_the_template_of_the_next(demo: DemoSummary, tmp_path: Path) -> None:
    """Staff restyle 資料２－２ in Word (here: python-docx, as Word saves a modified style);
    given as the template, its styles stay and the text is written afresh."""
    from docx.shared import Pt

    from miedx_xl.report import write_report_files

    assert demo.master is not None and demo.report is not None
    restyled = Document(str(demo.report.memo))
    restyled.styles["報告書 本文"].font.size = Pt(13)  # type: ignore[union-attr]
    restyled.add_paragraph("古い本文")
    template = tmp_path / "ひな形.docx"
    restyled.save(str(template))
    files = write_report_files(demo.master, tmp_path / "out", pdf=False, memo_template=template)
    doc = Document(str(files.memo))
    assert doc.styles["報告書 本文"].font.size == Pt(13)  # type: ignore[union-attr]
    texts = [p.text for p in doc.paragraphs]
    assert "古い本文" not in texts and texts.count("１　要旨") == 1
    assert doc.sections[0].header.paragraphs[0].text == "資料２－２"


def test_every_font_of_the_pdf_is_a_japanese_one(files: ReportFiles) -> None:
    assert files.pdf is not None
    out = subprocess.run(["pdffonts", str(files.pdf)], capture_output=True, text=True, check=True)
    names = {line.split()[0] for line in out.stdout.splitlines()[2:] if line.strip()}
    assert names and all("NotoSansCJK" in n or "BIZUD" in n for n in names), names


def test_report_date_can_be_given(demo: DemoSummary, tmp_path: Path) -> None:
    assert demo.master is not None
    args = ["report", str(demo.master), "--out", str(tmp_path), "--no-pdf", "--date", "2023-05-29"]
    assert main(args) == 0
    assert Document(str(tmp_path / "資料２－２_R3.docx")).paragraphs[0].text == "令和５年５月２９日"
