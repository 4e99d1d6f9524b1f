"""The add-in built on Linux: its zip parts, VBA modules (read back with olevba), ribbon XML
and the button ids shared by the ribbon, the VBA callback and miedx_xl.xl.BUTTONS."""

from __future__ import annotations

import re
import shutil
import warnings
import zipfile
from pathlib import Path

import pytest
import xlwings
from defusedxml import ElementTree
from pyopenvba import ExcelFile

from miedx_xl import addin, xl
from miedx_xl.errors import AddinError

with warnings.catch_warnings():  # oletools 0.60 uses pyparsing names deprecated since 3.0
    warnings.simplefilter("ignore", DeprecationWarning)
    from oletools.olevba import VBA_Parser

NS = {"ui": addin.NS_CUSTOMUI14}
RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
DISPATCH = """RunPython "import miedx_xl.xl as x; x.dispatch('" & control.Id & "')\""""
SUB = re.compile(r"^\s*(?:Public\s+)?Sub\s+(\w+)\s*\(\s*control\s+As\s+IRibbonControl\s*\)", re.M)
ST_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,1023}")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return addin.build_addin(tmp_path_factory.mktemp("addin"))


@pytest.fixture(scope="module")
def modules(built: Path) -> dict[str, str]:
    """Module name -> source, as olevba reads them from the built file."""
    parser = VBA_Parser(str(built))
    try:
        found = {Path(name).stem: code for _, _, name, code in parser.extract_macros()}
    finally:
        parser.close()
    return found


@pytest.fixture(scope="module")
def ribbon(built: Path) -> ElementTree.Element:
    with zipfile.ZipFile(built) as zf:
        return ElementTree.fromstring(zf.read(addin.RIBBON_PART))


def buttons(ribbon: ElementTree.Element) -> list[ElementTree.Element]:
    return ribbon.findall(".//ui:button", NS)


def test_built_file_is_the_template_with_three_parts_replaced(built: Path) -> None:
    assert built.name == "miedx.xlam"
    template = xl_template()
    with zipfile.ZipFile(built) as zf, zipfile.ZipFile(template) as tz:
        assert zf.testzip() is None
        names = zf.namelist()
        assert addin.OLD_RIBBON_PART not in names and addin.RIBBON_PART in names
        changed = {addin.VBA_PART, addin.RELS_PART}
        for name in tz.namelist():
            if name not in changed | {addin.OLD_RIBBON_PART}:
                assert zf.read(name) == tz.read(name), name
        types = ElementTree.fromstring(zf.read("[Content_Types].xml"))
        defaults = {e.get("Extension"): e.get("ContentType") for e in types}
        assert defaults["xml"] == "application/xml"  # covers customUI14.xml
        assert "addin.macroEnabled.main" in zf.read("[Content_Types].xml").decode()


def xl_template() -> Path:
    return Path(xlwings.__file__).parent / addin.TEMPLATE_NAME


def test_ribbon_relationship_is_the_customui14_one(built: Path) -> None:
    with zipfile.ZipFile(built) as zf:
        rels = ElementTree.fromstring(zf.read(addin.RELS_PART)).findall(RELS)
    ui = [r for r in rels if r.get("Type", "").endswith("/ui/extensibility")]
    assert [(r.get("Type"), r.get("Target")) for r in ui] == [
        (
            "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility",
            "customUI/customUI14.xml",
        )
    ]
    assert len({r.get("Id") for r in rels}) == len(rels)


def test_olevba_lists_the_modules_and_shows_the_dispatcher(modules: dict[str, str]) -> None:
    assert set(modules) == {"ThisWorkbook", "Dictionary", "MiedxRibbon", "Sheet2", "xlwings"}
    assert DISPATCH in modules["MiedxRibbon"]
    assert SUB.findall(modules["MiedxRibbon"]) == ["OnAction"]
    assert 'Public Const PROJECT_NAME As String = "miedx"' in modules["xlwings"]
    version = f'Public Const XLWINGS_VERSION As String = "{xlwings.__version__}"'
    assert version in modules["xlwings"]


def test_vba_project_validates_and_xlwings_module_is_the_wheels(built: Path) -> None:
    with ExcelFile(built) as wb:
        assert wb.validate() == []
        assert wb.get_module("xlwings") == addin.xlwings_module()
        source = (addin.macros_dir() / "MiedxRibbon.bas").read_text(encoding="ascii")
        assert wb.get_module("MiedxRibbon") == addin.vba_text("MiedxRibbon.bas", source)


def test_ribbon_follows_the_customui_rules_we_rely_on(ribbon: ElementTree.Element) -> None:
    assert ribbon.tag == f"{{{addin.NS_CUSTOMUI14}}}customUI"
    ids = [e.get("id") for e in ribbon.iter() if e.get("id") is not None]
    assert len(ids) == len(set(ids))
    assert all(ST_ID.fullmatch(str(i)) for i in ids)
    (tab,) = ribbon.findall("ui:ribbon/ui:tabs/ui:tab", NS)
    assert tab.get("label") == "みえDX進捗"
    groups = {
        g.get("label"): [b.get("label") for b in g.findall("ui:button", NS)]
        for g in tab.findall("ui:group", NS)
    }
    assert groups == {
        "担当課": ["入力チェック", "チェック表示をクリア"],
        "事務局": ["様式作成", "取りまとめ", "PDF出力", "設定"],
    }
    for b in buttons(ribbon):
        for attribute in ("id", "label", "onAction", "screentip", "supertip"):
            value = b.get(attribute)
            assert value and len(value) <= 1024, (b.get("id"), attribute)


def test_every_onaction_names_a_sub_of_the_built_project(
    ribbon: ElementTree.Element, modules: dict[str, str]
) -> None:
    callbacks = {e.get("onAction") for e in ribbon.iter() if e.get("onAction")}
    assert callbacks == {"MiedxRibbon.OnAction"}
    for callback in callbacks:
        module, sub = str(callback).split(".")
        assert sub in SUB.findall(modules[module])


def test_every_button_has_a_python_function_and_back(ribbon: ElementTree.Element) -> None:
    ids = [b.get("id") for b in buttons(ribbon)]
    assert sorted(map(str, ids)) == sorted(xl.BUTTONS)
    assert all(callable(f) and f.__name__.startswith("xl_") for f in xl.BUTTONS.values())


def test_build_is_deterministic(built: Path, tmp_path: Path) -> None:
    again = addin.build_addin(tmp_path / "dist")
    assert again == tmp_path / "dist" / "miedx.xlam"
    assert again.read_bytes() == built.read_bytes()


def test_non_ascii_vba_is_refused(tmp_path: Path) -> None:
    macros = tmp_path / "macros"
    shutil.copytree(addin.macros_dir(), macros)
    bas = macros / "MiedxRibbon.bas"
    bas.write_text(bas.read_text(encoding="ascii") + "' 入力チェック\r\n", encoding="utf-8")
    with pytest.raises(AddinError, match="ASCII"):
        addin.build_addin(tmp_path / "x.xlam", macros)
    assert not (tmp_path / "x.xlam").exists()


def test_macros_are_ascii_and_the_ribbon_is_utf8() -> None:
    macros = addin.macros_dir()
    for bas in macros.glob("*.bas"):
        assert bas.read_bytes().isascii(), bas
    text = (macros / "customUI14.xml").read_bytes()
    assert text.startswith(b'<?xml version="1.0" encoding="UTF-8"')
    assert "みえDX進捗" in text.decode("utf-8")


def test_install_needs_windows() -> None:
    with pytest.raises(AddinError, match="Windows 版の Excel が必要"):
        addin.install_addin(platform="linux")


def test_install_places_the_addin_and_the_interpreter_setting(built: Path, tmp_path: Path) -> None:
    conf = tmp_path / "home" / ".miedx" / "miedx.conf"
    conf.parent.mkdir(parents=True)
    conf.write_text('"SHOW CONSOLE","True"\r\n"INTERPRETER_WIN","old.exe"\r\n', encoding="utf-8")
    done = addin.install_addin(
        python=r"C:\Users\職員\miedx\.venv\Scripts\python.exe",
        appdata=tmp_path / "AppData" / "Roaming",
        userprofile=tmp_path / "home",
        platform="win32",
    )
    assert done.addin == tmp_path / "AppData/Roaming/Microsoft/Excel/XLSTART/miedx.xlam"
    assert done.addin.read_bytes() == built.read_bytes()  # built on the spot, deterministic
    assert [p.name for p in done.addin.parent.iterdir()] == ["miedx.xlam"]  # Excel opens all
    lines = done.conf.read_text(encoding="utf-8").splitlines()
    assert lines[:2] == [
        '"SHOW CONSOLE","True"',
        r'"INTERPRETER_WIN","C:\Users\職員\miedx\.venv\Scripts\python.exe"',
    ]
    assert "XLSTART" in done.text() and "みえDX進捗" in done.text()
