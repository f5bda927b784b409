# Varsel — the two commands of the README, and their helpers.
#   make demo   run Varsel with demo data on SQLite (http://127.0.0.1:8000)
#   make test   run the whole test suite (SQLite; VARSEL_TEST_DATABASE_URL=postgresql+psycopg://… for PostgreSQL)

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test install serve clean

# Python packages only: no system packages are installed here. PDFs need Pango and fonts and the
# browser tests need Chromium (Debian packages, see README "System packages"); CI installs them
# with .ci/system-packages.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	-@command -v npm >/dev/null && npm install --prefix $(VENV)/axe axe-core@4.10.3 --no-audit --no-fund --silent  # accessibility checks in the browser tests
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/varsel demo

serve: $(STAMP)
	$(BIN)/varsel db upgrade && $(BIN)/varsel serve

test: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis varsel.db varsel.db-* varsel-files
