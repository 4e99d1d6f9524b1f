"""XlsxWriter's own classes with the shortcuts that make the master fast, each writing the
parts XlsxWriter itself writes (tests compare them part for part with the shortcut off):

- `_Worksheet`: a sheet's plain cells as one f-string each (`fast_rows`), the large sheets'
  rows handed over as XML text (`take_rows`), and fitToWidth="1" written out;
- `_SharedStrings`: the shared strings part one f-string a plain string (`fast`);
- `_Packager` and `_Workbook`: the parts zipped by a second thread as XlsxWriter writes them,
  at `ZIP_LEVEL` (`own_zip`).

And what a cell can hold: `cell_text` (lone surrogates as U+FFFD, a text cut with a note when
longer than Excel's 32,767 UTF-16 units). `xlsx.book` builds on these; nothing else uses them.
"""

from __future__ import annotations

import io
import math
import os
import re
import sys
import zipfile
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.packager import Packager
from xlsxwriter.sharedstrings import SharedStrings
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import CellBlankTuple, CellNumberTuple, CellStringTuple, Worksheet

EXCEL_MAX_TEXT = 32_767
"""Characters one Excel cell holds (UTF-16 units); Excel repairs (empties) a longer one."""


_SURROGATE = re.compile("[\ud800-\udfff]")
_FAST_CELLS = (CellStringTuple, CellNumberTuple, CellBlankTuple)
"""The cells `_Worksheet._write_rows` writes itself."""


class BookError(RuntimeError):
    """A book was used against its contract (a programming error, not a user's input)."""


def excel_length(text: str) -> int:
    """Characters as Excel counts them: UTF-16 code units (𠮷 or an emoji counts twice)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def cut_text(text: str) -> str:
    """A text cut to what one Excel cell holds, saying that it was cut and how long it was."""
    mark = f"…（以下省略：全 {excel_length(text):,} 文字。提出ファイルを参照してください）"
    room = EXCEL_MAX_TEXT - excel_length(mark)
    units = text.encode("utf-16-le", "surrogatepass")[: 2 * room]
    # A cut through a surrogate pair leaves half a character: drop it.
    return units.decode("utf-16-le", errors="ignore") + mark


def cell_text(text: str) -> str:
    """A text as one cell can hold it: lone surrogates as U+FFFD, cut when too long."""
    if _SURROGATE.search(text):
        text = _SURROGATE.sub("\ufffd", text)
    if len(text) > EXCEL_MAX_TEXT // 2 and excel_length(text) > EXCEL_MAX_TEXT:
        text = cut_text(text)
    return text


class _Worksheet(Worksheet):  # type: ignore[misc]
    """XlsxWriter's worksheet with two changes:

    - it writes fitToWidth="1" too: XlsxWriter leaves out a width of one page (the
      default), which openpyxl then reads as no width at all;
    - `_write_rows` writes the three kinds of cell the master is made of (a shared string,
      a number or a blank, each with a cell format) one f-string a cell, instead of
      XlsxWriter's attribute lists and method calls per cell: the same bytes (a test
      compares every sheet of a master with XlsxWriter's own `_write_rows`), a third of the
      time. Any other cell goes to XlsxWriter's `_write_cell`.
    """

    fast_rows = True
    """False: XlsxWriter's own `_write_rows` (the tests compare the two)."""

    def __init__(self) -> None:
        super().__init__()
        self.direct_rows: dict[int, tuple[int, int, str]] = {}
        """0-based row -> (first column, last column, its cells as XML): the rows of a
        `Sheet(direct=True)`, which never enter XlsxWriter's table."""

    def take_rows(self, rows: dict[int, dict[int, tuple[Any, Format | None]]]) -> None:
        """Turn a sheet's cells (1-based) into the XML XlsxWriter would write for them, a
        string a row, emptying `rows` as it goes: the same shared strings, in the same order,
        and the same style numbers as `write_cell` and XlsxWriter's table would give, without
        an object per cell in memory (N = 3,300: hundreds of MB). Text, numbers, booleans
        and blanks only; no row or column formats on such a sheet."""
        if any(i.column_format is not None for i in self.col_info.values()) or any(
            i.row_format is not None for i in self.row_info.values()
        ):
            raise BookError("a direct sheet takes no row or column formats")
        table = self.str_table
        sst = table._get_shared_string_index
        strings: dict[str, int] = {}
        """A cell's text -> its shared string's number, for texts met again (at N = 330, 4 in
        5): XlsxWriter's table then only counts the use, as `sst` would."""
        again = 0
        styles: dict[Format | None, str] = {None: ""}
        names: list[str] = []
        colmax = self.xls_colmax
        out = self.direct_rows
        for r in sorted(rows):
            cells = rows.pop(r)
            if r < 1 or r > self.xls_rowmax:
                raise BookError(f"row {r} is outside a sheet")
            if not cells:
                continue
            order = sorted(cells)
            if order[0] < 1 or order[-1] > colmax:
                raise BookError(f"a column of row {r} is outside a sheet")
            while len(names) <= order[-1]:
                names.append(xl_col_to_name(len(names) - 1) if names else "")
            ref = str(r)
            parts: list[str] = []
            first = last = -1
            for c in order:
                value, fmt = cells[c]
                cls = value.__class__
                if cls is not str and isinstance(value, str):
                    value, cls = str(value), str  # a str subclass as plain text (write_cell)
                s = styles.get(fmt)
                if s is None:  # a format met first (None is in `styles`)
                    s = styles[fmt] = f' s="{fmt._get_xf_index()}"'  # type: ignore[union-attr]
                if cls is str and value:
                    index = strings.get(value)
                    if index is None:
                        index = strings[value] = sst(cell_text(value))
                    else:
                        again += 1
                    body = f' t="s"><v>{index}</v></c>'
                elif cls is bool:
                    body = f' t="b"><v>{1 if value else 0}</v></c>'
                elif (cls is int or cls is float or isinstance(value, int | float)) and (
                    math.isfinite(value)
                ):
                    body = f"><v>{value:.16G}</v></c>"
                elif value is None or cls is str or isinstance(value, int | float):
                    if fmt is None:
                        continue  # an empty cell without a format is no cell
                    body = "/>"
                else:
                    raise BookError(f"a cell holds text or numbers, not {type(value).__name__}")
                if first < 0:
                    first = c - 1
                last = c - 1
                parts.append(f'<c r="{names[c]}{ref}"{s}{body}')
            if parts:
                self._check_dimensions(r - 1, first)
                self._check_dimensions(r - 1, last)
                out[r - 1] = (first, last, "".join(parts))
        table.count += again

    def claim_styles(self) -> None:
        """Give the formats of the cells in XlsxWriter's table their style numbers now, in
        the order XlsxWriter's `close` would (column formats, then row by row each row's and
        its cells' formats): sheets handed over one by one, direct or not, number their
        styles as one `close` over all of them does."""
        for col in sorted(self.col_info):
            fmt = self.col_info[col].column_format
            if fmt is not None:
                fmt._get_xf_index()
        if self.dim_rowmin is None:
            return
        table, row_info = self.table, self.row_info
        for row_num in range(self.dim_rowmin, self.dim_rowmax + 1):
            info = row_info.get(row_num)
            if info is not None and info.row_format is not None:
                info.row_format._get_xf_index()
            for col_num in sorted(table.get(row_num, ())):
                fmt = table[row_num][col_num].format
                if fmt is not None:
                    fmt._get_xf_index()

    def _calculate_spans(self) -> None:
        super()._calculate_spans()
        if not self.direct_rows:
            return
        blocks: dict[int, tuple[int, int]] = {}
        for row_num, (first, last, _) in self.direct_rows.items():
            if self.table.get(row_num) or row_num in self.comments:
                raise BookError(f"row {row_num + 1} has cells of both kinds")
            block = row_num // 16
            low, high = blocks.get(block, (first, last))
            blocks[block] = (min(low, first), max(high, last))
        for block, (low, high) in blocks.items():
            known = self.row_spans.get(block)
            if known is not None:
                a, b = (int(x) - 1 for x in known.split(":"))
                low, high = min(low, a), max(high, b)
            self.row_spans[block] = f"{low + 1}:{high + 1}"

    def _write_rows(self) -> None:
        if not self.fast_rows:
            if self.direct_rows:
                raise BookError("XlsxWriter's own rows cannot write a direct sheet")
            super()._write_rows()
            return
        self._calculate_spans()
        if self.dim_rowmin is None:
            return
        table, row_info, comments, spans = self.table, self.row_info, self.comments, self.row_spans
        direct = self.direct_rows
        write = self.fh.write
        names = {c: xl_col_to_name(c) for c in range(self.dim_colmin, self.dim_colmax + 1)}
        styles: dict[int, str] = {}
        for row_num in range(self.dim_rowmin, self.dim_rowmax + 1):
            taken = direct.get(row_num)
            if taken is not None:
                self._write_row(row_num, spans.get(row_num // 16), row_info.get(row_num))
                write(taken[2])
                write("</row>")
                continue
            cells = table.get(row_num)
            if not cells and row_num not in row_info and row_num not in comments:
                continue
            span = spans.get(row_num // 16)
            info = row_info.get(row_num)
            if not cells:
                self._write_empty_row(row_num, span, info)
                continue
            self._write_row(row_num, span, info)
            ref = str(row_num + 1)
            parts: list[str] = []
            for col_num in sorted(cells):
                cell = cells[col_num]
                fmt = cell.format
                kind = cell.__class__
                if fmt is None or kind not in _FAST_CELLS:
                    if parts:
                        write("".join(parts))
                        parts = []
                    self._write_cell(row_num, col_num, cell)
                    continue
                key = id(fmt)
                s = styles.get(key)
                if s is None:
                    s = styles[key] = f'" s="{fmt._get_xf_index()}'
                if kind is CellStringTuple:
                    parts.append(f'<c r="{names[col_num]}{ref}{s}" t="s"><v>{cell.string}</v></c>')
                elif kind is CellNumberTuple:
                    parts.append(f'<c r="{names[col_num]}{ref}{s}"><v>{cell.number:.16G}</v></c>')
                else:
                    parts.append(f'<c r="{names[col_num]}{ref}{s}"/>')
            if parts:
                write("".join(parts))
            write("</row>")

    def _xml_empty_tag(self, tag: str, attributes: Any = ()) -> None:
        if tag == "pageSetup" and self.fit_page and self.fit_width == 1:
            attributes = list(attributes)
            at = next(
                (i for i, (k, _) in enumerate(attributes) if k not in ("paperSize", "scale")),
                len(attributes),
            )
            attributes.insert(at, ("fitToWidth", 1))
        super()._xml_empty_tag(tag, attributes)


_SST_SPECIAL = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_")
"""What XlsxWriter's `_escape_control_characters` changes in a shared string."""


_SST_BATCH = 512
"""Shared strings written at a time (not all at once: at N = 3,300 they are 300 MB)."""


class _SharedStrings(SharedStrings):  # type: ignore[misc]
    """XlsxWriter's shared strings part, each plain string written as one f-string instead
    of five regular expressions a string (at N = 330, 38,000 strings: 0.3 s). A string
    with a control character, a literal `_xHHHH_` or the look of a rich string goes to
    XlsxWriter's own `_write_si`; a test compares the bytes of both for any text."""

    fast = True
    """False: XlsxWriter's own `_write_si` for every string (the tests compare the two)."""

    def _write_sst_strings(self) -> None:
        if not self.fast:
            super()._write_sst_strings()
            return
        special = _SST_SPECIAL.search
        write = self.fh.write
        parts: list[str] = []
        for text in self.string_table.string_array:
            if special(text) or (text.startswith("<r>") and text.endswith("</r>")):
                write("".join(parts))
                parts.clear()
                self._write_si(text)
                continue
            # XlsxWriter's ^\s and \s$ are str.isspace of the first and last character.
            space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
            if "&" in text or "<" in text or ">" in text:
                text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            parts.append(f"<si><t{space}>{text}</t></si>")
            if len(parts) >= _SST_BATCH:
                write("".join(parts))
                parts.clear()
        write("".join(parts))


ZIP_LEVEL = 3
"""zlib's level for the parts (XlsxWriter leaves zipfile's default, 6). Measured on the master
of N = 330 (34 MB of XML): level 6 compresses in 0.61 s to 2.8 MB, 3 in 0.25 s to 3.5 MB,
1 in 0.19 s to 4.3 MB; with the zip thread, save takes 0.72 / 0.41 / 0.40 s. Level 3: the
time of 1 at a sixth less size."""

ZIP_CHUNK = 4 << 20
"""Bytes of a part read and compressed at a time by the zip thread: zlib runs without the
GIL, and the thread takes the GIL back once per chunk (each time it may wait a switch
interval, 5 ms, for the writing thread), so chunks are large."""


class _Packager(Packager):  # type: ignore[misc]
    """XlsxWriter's packager with `_SharedStrings` for the shared strings part, zipping the
    parts itself into `target` when it has one (see `_Workbook`).

    XlsxWriter writes every part to a temporary file and then, with all of them written,
    compresses them one after the other (at N = 330, 34 MB of XML: 0.47 s). Here each part
    is compressed as soon as XlsxWriter has written it and begins the next one (XlsxWriter
    writes parts strictly one after the other), by one other thread, while XlsxWriter goes
    on writing: zlib releases the GIL. Same parts in the same order, compressed at
    `ZIP_LEVEL`, the entries dated as XlsxWriter's in-memory mode dates them."""

    def __init__(self, target: str | None = None) -> None:
        super().__init__()
        self.target = target
        self.allow_zip64 = False
        """As the workbook's (`Workbook.use_zip64`)."""
        self._zip: zipfile.ZipFile | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._queued = 0
        self._jobs: list[Future[None]] = []

    def _create_package(self) -> list[Any]:
        if self.target is None:
            return list(super()._create_package())
        self._zip = zipfile.ZipFile(
            self.target,
            "w",
            compression=zipfile.ZIP_DEFLATED,
            allowZip64=self.allow_zip64,
            compresslevel=ZIP_LEVEL,
        )
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="miedx-zip")
        try:
            parts = super()._create_package()
            self._queue(len(parts))
        except BaseException:
            self._finish(failed=True)
            raise
        self._finish(failed=False)
        return []  # nothing left for XlsxWriter to zip

    def _filename(self, xml_filename: str) -> Any:
        if self._pool is not None:
            self._queue(len(self.filenames))  # every part begun so far is written
        return super()._filename(xml_filename)

    def _queue(self, upto: int) -> None:
        assert self._pool is not None
        for entry in self.filenames[self._queued : upto]:
            self._jobs.append(self._pool.submit(self._store, entry[0], entry[1]))
        self._queued = max(self._queued, upto)

    def _store(self, path: str, name: str) -> None:
        assert self._zip is not None
        info = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        # ZipFile.open(info, "w") takes the level from the entry, not from the ZipFile.
        if sys.version_info >= (3, 13):
            info.compress_level = ZIP_LEVEL
        else:
            info._compresslevel = ZIP_LEVEL  # type: ignore[attr-defined]
        info.file_size = os.path.getsize(path)
        with open(path, "rb") as src, self._zip.open(info, "w") as dest:
            while chunk := src.read(ZIP_CHUNK):
                dest.write(chunk)
        os.remove(path)

    def _finish(self, failed: bool) -> None:
        """Wait for the zip thread, close the zip and remove what is left of the parts; the
        first error of the zip thread is raised (unless XlsxWriter's own is on its way)."""
        assert self._pool is not None and self._zip is not None
        self._pool.shutdown(wait=True)
        error = next((job.exception() for job in self._jobs if job.exception()), None)
        self._zip.close()
        for path, _, _ in self.filenames:
            if isinstance(path, str) and os.path.exists(path):
                os.remove(path)
        if error is not None and not failed:
            raise error

    def _write_shared_strings_file(self) -> None:
        table = self.workbook.str_table
        if not table.count:
            return
        sst = _SharedStrings()
        sst.string_table = table
        sst._set_xml_writer(self._filename("xl/sharedStrings.xml"))
        sst._assemble_xml_file()


class _Workbook(xlsxwriter.Workbook):  # type: ignore[misc]
    """XlsxWriter's workbook packaged by `_Packager` (`_get_packager` is XlsxWriter's hook
    for that): with `own_zip`, XlsxWriter's own zip goes to a buffer and stays empty, and
    the packager writes the workbook to `target`."""

    own_zip = True
    """False: XlsxWriter zips the parts itself (the tests compare the two)."""

    def __init__(self, target: str, options: Mapping[str, Any]) -> None:
        self.own = self.own_zip and not options.get("in_memory")
        super().__init__(io.BytesIO() if self.own else target, dict(options))
        self.target = target

    def _get_packager(self) -> Packager:
        packager = _Packager(self.target if self.own else None)
        packager.allow_zip64 = self.allow_zip64
        return packager
