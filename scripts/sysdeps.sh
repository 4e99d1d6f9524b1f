#!/usr/bin/env bash
# Install the system packages that the demo's PDF and the tests need, when any is missing:
# LibreOffice (Calc, and Impress and Writer for the report's slides and documents), CJK fonts
# and poppler for workbooks and PDFs, Debian's chromium for the browser tests of the server
# (Playwright drives it; no browser is downloaded).
# As root, or with password-less sudo, it runs apt-get; otherwise it stops and prints the one
# command to run. Used by `make sysdeps` (and so by `make demo`, `make test` and `.ci/run`).
set -euo pipefail
PACKAGES=(libreoffice-calc libreoffice-impress libreoffice-writer fonts-noto-cjk poppler-utils chromium)
missing=()
for pkg in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-query >/dev/null 2>&1; then
  echo "sysdeps: missing ${missing[*]}; install them with your system's package manager." >&2
  exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
  sudo=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo="sudo"
else
  echo "sysdeps: missing ${missing[*]}. Run once, then make again:" >&2
  echo "  sudo apt-get update && sudo $cmd" >&2
  exit 1
fi
echo "sysdeps: installing ${missing[*]} (about a minute)"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
