"""Writing files: complete or not at all, with the mode a plain open() gives."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from miedx_xl.files import TEMP_PREFIX, replacing


def test_replacing_writes_the_whole_file_or_nothing(tmp_path: Path) -> None:
    target = tmp_path / "out.xlsx"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), replacing(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("killed")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.xlsx"]
    with replacing(target) as tmp:
        assert tmp.name.startswith(TEMP_PREFIX) and tmp.parent == tmp_path
        tmp.write_bytes(b"new")
    assert target.read_bytes() == b"new"


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_a_new_file_gets_the_umask_mode_not_0600(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        with replacing(tmp_path / "new.xlsx") as tmp:
            tmp.write_bytes(b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.xlsx").stat().st_mode) == 0o644
