"""LibreOffice conversions: the profile URI LibreOffice accepts on every OS."""

from __future__ import annotations

from pathlib import PurePosixPath, PureWindowsPath

from miedx_xl.xlsx.office import profile_uri


def test_profile_uri_of_a_windows_path() -> None:
    uri = profile_uri(PureWindowsPath(r"C:\Users\職員\AppData\Local\Temp\miedx-lo-1"))
    assert uri.startswith("file:///C:/Users/")
    assert "\\" not in uri
    assert uri.endswith("/AppData/Local/Temp/miedx-lo-1")


def test_profile_uri_of_a_posix_path_with_spaces() -> None:
    assert profile_uri(PurePosixPath("/tmp/a b/プロファイル")) == (
        "file:///tmp/a%20b/%E3%83%97%E3%83%AD%E3%83%95%E3%82%A1%E3%82%A4%E3%83%AB"
    )
