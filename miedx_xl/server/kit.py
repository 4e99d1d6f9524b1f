"""The set-up kit written beside the server add-in (`miedx-xl addin build --server URL`).

`setup.cmd` runs `miedx-setup.ps1` (so no execution-policy change is needed), which refuses
a copy that came from e-mail or the Internet (its Mark of the Web would make Office block the
add-in's macros), copies `miedx.xlam` into the user's AddIns folder, writes the server's URL
and the division's key to `%USERPROFILE%\\.miedx\\miedx.conf`, and registers the add-in with
Excel. `セットアップ手順.txt` says the same in Japanese for the staff who run it.
"""

from __future__ import annotations

from pathlib import Path

SETUP_CMD = "setup.cmd"
SETUP_PS1 = "miedx-setup.ps1"
README = "セットアップ手順.txt"

CMD = r"""@echo off
rem Sets up the miedx division add-in for this Windows user (see the .txt beside it).
powershell -NoProfile -ExecutionPolicy Bypass -File "%~dp0miedx-setup.ps1" %*
pause
"""

PS1 = r"""# みえDX進捗 担当課用アドインのセットアップ（この PC のこのユーザー）
param([string]$Key = "")
$ErrorActionPreference = "Stop"
$ServerUrl = "{url}"
$here = Split-Path -Parent $MyInvocation.MyCommand.Path
$source = Join-Path $here "miedx.xlam"

if (-not (Test-Path -LiteralPath $source)) {{
    Write-Host "miedx.xlam が見つかりません: $source"; exit 1
}}
$zone = Get-Content -LiteralPath $source -Stream Zone.Identifier -ErrorAction SilentlyContinue
if ($zone -match "ZoneId=[34]") {{
    Write-Host "このアドインはメールかインターネットから来たファイルです（Mark of the Web）。"
    Write-Host "Office がマクロを止めるため使えません。"
    Write-Host "事務局の共有フォルダにあるものから実行してください。"
    exit 1
}}
if (Get-Process EXCEL -ErrorAction SilentlyContinue) {{
    Write-Host "Excel を閉じてから、もう一度実行してください。"; exit 1
}}
while ($Key -notmatch "^dk-[0-9a-f]{{32}}$") {{
    $Key = (Read-Host "事務局から配られた担当課のキー（dk- で始まる英数字）").Trim()
}}

$addins = Join-Path $env:APPDATA "Microsoft\AddIns"
New-Item -ItemType Directory -Force -Path $addins | Out-Null
$target = Join-Path $addins "miedx.xlam"
Copy-Item -LiteralPath $source -Destination $target -Force

$confDir = Join-Path $env:USERPROFILE ".miedx"
New-Item -ItemType Directory -Force -Path $confDir | Out-Null
$conf = @('"SERVER_URL","' + $ServerUrl + '"', '"AUTH","Bearer ' + $Key + '"')
Set-Content -LiteralPath (Join-Path $confDir "miedx.conf") -Value $conf -Encoding ASCII

$excel = New-Object -ComObject Excel.Application
try {{
    $null = $excel.Workbooks.Add()
    $addin = $excel.AddIns.Add($target, $true)
    $addin.Installed = $true
}} finally {{
    $excel.Quit()
    [void][System.Runtime.InteropServices.Marshal]::ReleaseComObject($excel)
}}
Write-Host "セットアップが終わりました。Excel を起動すると「みえDX進捗」タブが出ます。"
Write-Host "サーバー: $ServerUrl"
"""

INSTRUCTIONS = """みえDX進捗 担当課用アドイン（サーバー版）のセットアップ

この PC に Python は要りません。「入力チェック」「チェック表示をクリア」は庁内サーバー
（{url}）で動きます。

1. Excel をすべて閉じます。
2. 事務局の共有フォルダにあるこのフォルダを開き、setup.cmd をダブルクリックします。
   （メールで届いたファイルは Office がマクロを止めるため使えません。必ず共有フォルダから
   実行してください。）
3. 「担当課のキー」を聞かれたら、事務局から配られたキー（dk- で始まる英数字）を入力します。
4. Excel を起動すると、リボンに「みえDX進捗」タブが出ます。
   調査票を開いて「入力チェック」を押すと、直す欄が赤くなり「チェック結果」シートが
   できます。提出は「提出ページ」ボタンで開くページから行います。

やり直すとき: もう一度 setup.cmd を実行します。
外すとき: Excel の [ファイル] > [オプション] > [アドイン] > [設定] で miedx のチェックを外します。
"""


def _crlf(text: str) -> str:
    return "\r\n".join(text.splitlines()) + "\r\n"


def write_kit(addin: Path, url: str) -> list[Path]:
    """Write the set-up script and instructions beside a built server add-in."""
    folder = addin.parent
    url = url.rstrip("/")
    cmd = folder / SETUP_CMD
    cmd.write_bytes(_crlf(CMD).encode("ascii"))
    ps1 = folder / SETUP_PS1
    # Windows PowerShell 5.1 reads a script without a BOM in the ANSI code page.
    ps1.write_bytes(b"\xef\xbb\xbf" + _crlf(PS1.format(url=url)).encode("utf-8"))
    readme = folder / README
    readme.write_bytes(b"\xef\xbb\xbf" + _crlf(INSTRUCTIONS.format(url=url)).encode("utf-8"))
    return [cmd, ps1, readme]
