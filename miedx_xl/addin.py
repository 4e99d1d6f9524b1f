"""The Excel add-in `miedx.xlam`: built on any OS from text, installed on Windows.

The build starts from the ribbon add-in template shipped in the installed xlwings wheel
(a file Excel already accepts), renames its ribbon module, replaces the VBA with the text
of `macros/*.bas` plus the wheel's own custom-add-in module, and swaps the ribbon part for
`macros/customUI14.xml`. pyOpenVBA writes the VBA project; the zip is rebuilt with fixed
timestamps so the same inputs give the same bytes.
"""

from __future__ import annotations

import os
import re
import shutil
import site
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from miedx_xl.errors import AddinError
from miedx_xl.files import replacing

ADDIN_NAME = "miedx.xlam"
PROJECT_NAME = "miedx"
"""The xlwings PROJECT_NAME: the add-in reads `%USERPROFILE%\\.miedx\\miedx.conf`."""

TEMPLATE_NAME = "quickstart_addin_ribbon.xlam"
XLWINGS_MODULE = "xlwings"
XLWINGS_BAS = "xlwings_custom_addin.bas"
TEMPLATE_RIBBON_MODULE = "RibbonMyAddin"
RIBBON_MODULE = "MiedxRibbon"
RIBBON_XML = "customUI14.xml"

RIBBON_PART = "customUI/customUI14.xml"
OLD_RIBBON_PART = "customUI/customUI.xml"
VBA_PART = "xl/vbaProject.bin"
RELS_PART = "_rels/.rels"
NS_CUSTOMUI14 = "http://schemas.microsoft.com/office/2009/07/customui"
REL_CUSTOMUI14 = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
"""[MS-CUSTOMUI2]: the relationship type of customUI14.xml (the 2006 type is customUI.xml's)."""

SERVER_MACROS = "server"
"""`macros/server/`: the ribbon and VBA of the division add-in that calls the server."""
SERVER_CLIENT_MODULES = ("Remote.bas", "WebHelpers.bas")
SERVER_CLIENT_CLASSES = (
    "Dictionary.cls",
    "IWebAuthenticator.cls",
    "WebClient.cls",
    "WebRequest.cls",
    "WebResponse.cls",
)
"""xlwings' VBA client (RunServerPython) and its web classes, from the wheel's addin/."""
SERVER_URL_CONST = re.compile(r'^(Public Const SERVER_URL As String = )"[^"]*"', re.MULTILINE)
SERVER_URL = re.compile(r"https?://[A-Za-z0-9.\-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~\-/]*)?")

ZIP_TIME = (2024, 1, 1, 0, 0, 0)
MODULE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,30}")
VB_NAME = re.compile(r'^Attribute VB_Name = "([^"]*)"', re.MULTILINE)
PROJECT_CONST = re.compile(r'^(Public Const PROJECT_NAME As String = )"[^"]*"', re.MULTILINE)
_EXTENSIBILITY = re.compile(
    rb'<Relationship\b[^>]*\bType="[^"]*/ui/extensibility"[^>]*/>', re.IGNORECASE
)

WINDOWS_ONLY = (
    "アドインのインストールには Windows 版の Excel が必要です。"
    "この PC（{system}）では「miedx-xl addin build」で miedx.xlam を作り、"
    "Windows の PC で「miedx-xl addin install」を実行してください。"
)


@dataclass(frozen=True)
class Installed:
    """Where the add-in and its interpreter setting were written."""

    addin: Path
    conf: Path

    def text(self) -> str:
        """A Japanese summary for the user."""
        return (
            f"アドインを配置しました: {self.addin}\n"
            f"Python の設定を書きました: {self.conf}\n"
            "Excel を起動し直すと、リボンに「みえDX進捗」タブが出ます。"
        )


# --- inputs ------------------------------------------------------------------------------


def xlwings_dir() -> Path:
    """The folder of the installed xlwings package (template and VBA text)."""
    import xlwings

    return Path(xlwings.__file__).parent


def macros_dir() -> Path:
    """The `macros/` folder with the ribbon XML and VBA text (a source checkout's root)."""
    package = Path(__file__).resolve().parent
    for candidate in (package / "macros", package.parent / "macros"):
        if (candidate / RIBBON_XML).is_file():
            return candidate
    raise AddinError(
        f"macros フォルダ（{RIBBON_XML} と .bas）が見つかりません: {package.parent / 'macros'}。"
        "miedx_xl のソース（git clone）から実行してください。"
    )


def vba_text(name: str, text: str) -> str:
    """VBA source as the project stores it: ASCII only, CRLF line ends (else AddinError)."""
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.isascii():
            raise AddinError(
                f"{name} の {number} 行目に ASCII 以外の文字があります。VBA は ASCII だけで書き、"
                "日本語はリボンの XML か Python 側に置いてください: " + line.strip()[:60]
            )
    lines = text.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n").split("\n")
    return "\r\n".join(lines) + "\r\n"


def xlwings_module() -> str:
    """The wheel's custom-add-in VBA module, with PROJECT_NAME set to `miedx`."""
    path = xlwings_dir() / XLWINGS_BAS
    text = path.read_text(encoding="ascii")
    new, count = PROJECT_CONST.subn(rf'\g<1>"{PROJECT_NAME}"', text)
    if count != 1:
        raise AddinError(f"{path} に PROJECT_NAME の定義が見つかりません（xlwings の版を確認）")
    return vba_text(XLWINGS_BAS, new)


def macro_modules(macros: Path) -> dict[str, str]:
    """Standard modules from `macros/*.bas`, by their VB_Name (which must be the file name)."""
    modules = {}
    for path in sorted(macros.glob("*.bas")):
        text = vba_text(path.name, path.read_bytes().decode("ascii", errors="replace"))
        found = VB_NAME.search(text)
        name = found.group(1) if found else path.stem
        if name != path.stem or not MODULE_NAME.fullmatch(name):
            raise AddinError(
                f"{path.name}: モジュール名「{name}」はファイル名と同じ英数字"
                "（31 文字以内）にしてください"
            )
        modules[name] = text
    if RIBBON_MODULE not in modules:
        raise AddinError(f"{macros} に {RIBBON_MODULE}.bas がありません")
    return modules


def ribbon_xml(macros: Path) -> bytes:
    """The ribbon part: UTF-8 XML whose root is customUI in the 2009/07 namespace."""
    from defusedxml import ElementTree

    data = (macros / RIBBON_XML).read_bytes()
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        raise AddinError(f"{RIBBON_XML} を XML として読めません: {exc}") from exc
    if root.tag != f"{{{NS_CUSTOMUI14}}}customUI":
        raise AddinError(f"{RIBBON_XML} の先頭要素は {NS_CUSTOMUI14} の customUI にしてください")
    return data


def server_modules(url: str) -> tuple[dict[str, str], dict[str, str]]:
    """The server add-in's VBA: our modules with SERVER_URL set, and xlwings' VBA client
    (standard modules, class modules), read from the installed wheel."""
    if not SERVER_URL.fullmatch(url):
        raise AddinError(
            f"サーバーの URL「{url}」を使えません（例: https://miedx.example.lg.jp/）。"
            "http:// か https:// で始まる英数字の URL にしてください。"
        )
    modules = macro_modules(macros_dir() / SERVER_MACROS)
    ribbon, count = SERVER_URL_CONST.subn(rf'\g<1>"{url.rstrip("/")}"', modules[RIBBON_MODULE])
    if count != 1:
        raise AddinError(f"{RIBBON_MODULE}.bas に SERVER_URL の定義が見つかりません")
    modules[RIBBON_MODULE] = ribbon
    client = xlwings_dir() / "addin"
    for name in SERVER_CLIENT_MODULES:
        modules[Path(name).stem] = vba_text(name, (client / name).read_text(encoding="ascii"))
    classes = {
        Path(name).stem: vba_text(name, (client / name).read_text(encoding="ascii"))
        for name in SERVER_CLIENT_CLASSES
    }
    return modules, classes


# --- build -------------------------------------------------------------------------------


def build_vba_project(
    template: Path, modules: dict[str, str], classes: dict[str, str] | None = None
) -> bytes:
    """`xl/vbaProject.bin` of the template with the ribbon module renamed and modules replaced
    (and `classes` added as class modules)."""
    from pyopenvba import ExcelFile  # type: ignore[import-untyped]
    from pyopenvba.vba import VBAModuleKind  # type: ignore[import-untyped]

    with tempfile.TemporaryDirectory(prefix="miedx-addin-") as tmp:
        work, saved = Path(tmp, "template.xlam"), Path(tmp, "built.xlam")
        shutil.copyfile(template, work)
        with ExcelFile(work) as wb:
            project = wb.vba_project()
            # Reusing the template's ribbon module slot keeps PROJECT's [Workspace] clean.
            project.rename_module(TEMPLATE_RIBBON_MODULE, RIBBON_MODULE)
            existing = set(wb.module_names())
            for name, text in modules.items():
                if name in existing:
                    wb.set_module(name, text)
                else:
                    project.add_module(name, text)
            for name, text in (classes or {}).items():
                if name in existing:  # the template's own Dictionary class
                    wb.set_module(name, text)
                else:
                    project.add_module(name, text, kind=VBAModuleKind.other)
            wb.save(saved)
        with ExcelFile(saved) as check:
            problems = check.validate()  # only saved streams are validated
        if problems:
            raise AddinError("VBA プロジェクトが不正です: " + "; ".join(map(str, problems)))
        with zipfile.ZipFile(saved) as zf:
            return zf.read(VBA_PART)


def _ui14_rels(data: bytes) -> bytes:
    """The package relationships with the ribbon one pointing at customUI14.xml."""

    def retarget(found: re.Match[bytes]) -> bytes:
        rel = re.sub(rb'\bType="[^"]*"', f'Type="{REL_CUSTOMUI14}"'.encode(), found.group(0))
        return re.sub(rb'\bTarget="[^"]*"', f'Target="{RIBBON_PART}"'.encode(), rel)

    new, count = _EXTENSIBILITY.subn(retarget, data)
    if count != 1:
        raise AddinError(f"テンプレートの {RELS_PART} にリボンの関係がちょうど 1 つありません")
    return new


def build_addin(out: Path, macros: Path | None = None, server: str | None = None) -> Path:
    """Build the add-in at `out` (an .xlam path, or a folder for miedx.xlam); return its path.

    With `server` (its URL), the division add-in whose buttons call that server through
    xlwings' RunServerPython (no Python on the PC), and beside it the set-up script and its
    Japanese instructions.
    """
    template = xlwings_dir() / TEMPLATE_NAME
    classes: dict[str, str] = {}
    if server is None:
        macros = macros or macros_dir()
        modules = {**macro_modules(macros), XLWINGS_MODULE: xlwings_module()}
    else:
        macros = macros_dir() / SERVER_MACROS
        own, classes = server_modules(server)
        modules = {**own, XLWINGS_MODULE: xlwings_module()}
    ribbon = ribbon_xml(macros)
    vba = build_vba_project(template, modules, classes)
    target = out if out.suffix.lower() == ".xlam" else out / ADDIN_NAME
    with replacing(target) as partial:
        _write_package(template, partial, vba, ribbon)
    if server is not None:
        from miedx_xl.server.kit import write_kit

        write_kit(target, server)
    return target


def _write_package(template: Path, dest: Path, vba: bytes, ribbon: bytes) -> None:
    """The template's zip with the VBA project, relationships and ribbon part replaced."""
    with zipfile.ZipFile(template) as zin, zipfile.ZipFile(dest, "w") as zout:

        def put(name: str, data: bytes) -> None:
            info = zipfile.ZipInfo(name, ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zout.writestr(info, data)

        for name in zin.namelist():
            if name == OLD_RIBBON_PART:
                continue
            data = zin.read(name)
            if name == VBA_PART:
                data = vba
            elif name == RELS_PART:
                data = _ui14_rels(data)
            put(name, data)
        # [Content_Types].xml already maps *.xml to application/xml, which covers the part.
        put(RIBBON_PART, ribbon)


# --- install (Windows) -------------------------------------------------------------------


def conf_lines(python: str, pythonpath: str | None = None) -> dict[str, str]:
    """The settings the add-in's xlwings module reads from miedx.conf."""
    lines = {"INTERPRETER_WIN": python}
    if pythonpath:
        lines["PYTHONPATH"] = pythonpath
    return lines


def write_conf(path: Path, settings: dict[str, str], encoding: str) -> Path:
    """Write `"KEY","VALUE"` lines, keeping other keys already in the file."""
    kept: list[str] = []
    if path.exists():
        for line in path.read_text(encoding=encoding, errors="replace").splitlines():
            key = line.split(",", 1)[0].strip().strip('"').upper()
            if line.strip() and key not in settings:
                kept.append(line)
    body = kept + [f'"{key}","{value}"' for key, value in settings.items()]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\r\n".join(body) + "\r\n", encoding=encoding)
    return path


def source_root() -> Path | None:
    """The folder to put on PYTHONPATH when miedx_xl is not installed in site-packages."""
    root = Path(__file__).resolve().parent.parent
    sites = [Path(p).resolve() for p in [*site.getsitepackages(), site.getusersitepackages()]]
    return None if root in sites else root


def install_addin(
    xlam: Path | None = None,
    *,
    python: str | None = None,
    appdata: Path | None = None,
    userprofile: Path | None = None,
    platform: str = sys.platform,
) -> Installed:
    """Put miedx.xlam in Excel's XLSTART and write ~/.miedx/miedx.conf (Windows only)."""
    if platform != "win32":
        raise AddinError(WINDOWS_ONLY.format(system=platform))
    appdata = appdata or Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming"))
    userprofile = userprofile or Path(os.environ.get("USERPROFILE", Path.home()))
    xlstart = appdata / "Microsoft" / "Excel" / "XLSTART"
    xlstart.mkdir(parents=True, exist_ok=True)
    target = xlstart / ADDIN_NAME
    try:
        # Excel opens every file in XLSTART: build elsewhere, then copy in one step.
        with tempfile.TemporaryDirectory(prefix="miedx-addin-") as tmp:
            source = xlam or build_addin(Path(tmp) / ADDIN_NAME)
            shutil.copyfile(source, target)
    except PermissionError as exc:
        raise AddinError(
            f"{target} に書き込めません。Excel をすべて閉じてから、もう一度実行してください。"
        ) from exc
    root = source_root()
    settings = conf_lines(python or sys.executable, str(root) if root else None)
    # The VBA reads the file with `Open ... For Input`: the ANSI code page (cp932 in Japan).
    encoding = "mbcs" if os.name == "nt" else "utf-8"
    conf = write_conf(userprofile / f".{PROJECT_NAME}" / f"{PROJECT_NAME}.conf", settings, encoding)
    return Installed(target, conf)
