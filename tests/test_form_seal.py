"""The form's keyed seal: a division that edits a locked cell and recomputes the plain
digest in _meta is caught where the secretariat's key is; old unsealed forms still pass
with a warning; a division's PC without the key checks the plain digest only."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook

from miedx_xl.form import seal
from miedx_xl.form.check import check_file
from miedx_xl.form.layout import META_SHEET
from miedx_xl.form.write import fill_form, make_forms
from miedx_xl.plan.model import Plan
from tests.conftest import FIXED_TIME, R4, valid_statuses

SMART = "スマート改革推進課"


@pytest.fixture
def key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "secret.key"
    monkeypatch.setenv(seal.SECRET_ENV, str(path))
    seal.create_secret(path)
    yield path


def forge(path: Path, cell: str, value: str) -> Path:
    """Edit a locked cell and recompute the plain digest in _meta, as a division could."""
    wb = load_workbook(path)
    ws = wb["取組状況"]
    ws[cell] = value
    meta = wb[META_SHEET]
    rows = {r[0].value: r for r in meta.iter_rows() if r[0].value}
    key = next(k for k in rows if str(k).startswith("locked|取組状況|"))
    fields = json.loads(rows[key][1].value)
    fields["title"] = value
    rows[key][1].value = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    wb.save(path)
    # Recompute the digest over the content as the reader rebuilds it.
    from miedx_xl.form.read import read_meta
    from miedx_xl.form.source import open_book

    book = open_book(path)
    assert book.workbook is not None
    loaded = read_meta(book.workbook)
    assert loaded is not None
    wb = load_workbook(path)
    for row in wb[META_SHEET].iter_rows():
        if row[0].value == "digest":
            row[1].value = loaded[0].digest()
    wb.save(path)
    return path


@pytest.fixture
def sealed(key: Path, plan: Plan, tmp_path: Path) -> Path:
    """A form written where the key is (so sealed), filled with valid values."""
    (form,) = [
        p
        for p in make_forms(plan, R4, tmp_path / "forms", now=FIXED_TIME)
        if "デジタル改革推進課" in p.name
    ]
    return fill_form(form, tmp_path / "filled.xlsx", statuses=valid_statuses(plan, SMART))


def test_a_sealed_form_checks_clean(sealed: Path) -> None:
    assert check_file(sealed).report.flatten() == []


def test_a_forged_digest_is_caught_by_the_seal(sealed: Path) -> None:
    path = sealed
    wb = load_workbook(path)
    first_no = wb["取組状況"]["A4"].value
    title_cell = "E4"
    forged = forge(path, title_cell, f"NO {first_no} を書き換えた取組内容")
    found = check_file(forged).report
    tampered = [f for f in found if f.code == "template-tampered"]
    assert tampered and any("封印" in f.message_ja for f in tampered)


def test_without_the_key_a_forged_digest_passes_the_plain_check(
    sealed: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = forge(sealed, "E4", "書き換えた取組内容")
    monkeypatch.setenv(seal.SECRET_ENV, str(tmp_path / "none.key"))
    # A division's PC: no key, the digest matches what the division recomputed.
    assert [f.code for f in check_file(path).report] == []


def test_an_old_unsealed_form_is_accepted_with_a_warning(
    filled: Callable[..., Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(seal.SECRET_ENV, str(tmp_path / "none.key"))
    old = filled()  # written where there was no key
    seal.create_secret(tmp_path / "none.key")
    report = check_file(old).report
    assert [(f.code, f.severity) for f in report] == [("template-unsealed", "warning")]
    assert report.valid


def test_the_key_is_never_replaced_and_only_its_owner_reads_it(key: Path) -> None:
    with pytest.raises(ValueError, match="上書きしません"):
        seal.create_secret(key)
    assert key.stat().st_mode & 0o077 == 0
    assert len(hashlib.sha256(key.read_bytes()).hexdigest()) == 64


def test_secret_init_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from miedx_xl.cli import main

    path = tmp_path / "k" / "secret.key"
    assert main(["secret", "init", "--path", str(path)]) == 0
    assert seal.load_secret(path) is not None
    assert main(["secret", "init", "--path", str(path)]) == 2
    assert "上書きしません" in capsys.readouterr().err
