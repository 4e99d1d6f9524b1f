# Two commands on a fresh Linux machine: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
OUT ?= demo-out

.PHONY: install sysdeps demo test lint bench addin docs-report docs-years clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# System packages (LibreOffice, CJK fonts, poppler): apt-get as root or with password-less
# sudo, else the one command to run.
sysdeps:
	bash scripts/sysdeps.sh

demo: sysdeps $(STAMP)
	$(BIN)/miedx-xl demo $(OUT)

lint: $(STAMP)
	$(BIN)/ruff check miedx_xl tests benchmarks
	$(BIN)/ruff format --check miedx_xl tests benchmarks
	$(BIN)/mypy

test: sysdeps lint
	MIEDX_REQUIRE_SOFFICE=1 $(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python benchmarks/check_one.py
	$(BIN)/python benchmarks/consolidate.py --sizes 33 330 3300 --repeat 3

# The README's pictures of the report (first chart slide, first document and table pages).
docs-report: sysdeps $(STAMP)
	$(BIN)/python scripts/report_pngs.py docs

# PNGs of an R4 form and the R4 master's 前年度比較 sheet (the demo's second year) in docs/.
docs-years: sysdeps $(STAMP)
	$(BIN)/python benchmarks/docs_years.py --out docs

addin: $(STAMP)
	$(BIN)/miedx-xl addin build --out workbooks

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .mypy_cache .ruff_cache .hypothesis
