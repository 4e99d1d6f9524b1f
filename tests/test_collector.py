"""The garbage collector is off during consolidate and a workbook's writing, and as it was
after, whatever happens inside."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from miedx_xl import collector
from miedx_xl.consolidation import consolidate
from miedx_xl.form import pool
from miedx_xl.normalize import FiscalYear
from miedx_xl.xlsx.book import Book


def test_paused_restores_the_state_it_found() -> None:
    assert gc.isenabled()
    with pytest.raises(KeyError), collector.paused():
        assert not gc.isenabled()
        with collector.paused():
            assert not gc.isenabled()
        assert not gc.isenabled(), "the inner pause leaves the outer one paused"
        raise KeyError("inside")
    assert gc.isenabled()
    gc.disable()
    try:
        with collector.paused():
            pass
        assert not gc.isenabled(), "a collector that was off stays off"
    finally:
        gc.enable()


def test_consolidate_and_book_run_with_the_collector_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[bool] = []
    real = pool.read_forms

    def spy(*args: object, **kwargs: object) -> object:
        seen.append(gc.isenabled())
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("miedx_xl.consolidation.read_forms", spy)
    (tmp_path / "in").mkdir()
    consolidate(tmp_path / "in", FiscalYear(3), archive=tmp_path / "archive")
    assert seen == [False] and gc.isenabled()
    with Book(tmp_path / "b.xlsx") as book:
        book.sheet("表").set(1, 1, "一")
        assert not gc.isenabled()
        book.save()
    assert gc.isenabled() and (tmp_path / "b.xlsx").is_file()
