# Two commands for a new user: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test faults bench lint format gold clean system-packages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# PYTHONWARNINGS=ignore: setuptools prints a screen of "Editable installation" notices for the
# package-dir layout (mauqif.annotate lives in annotate/); they say nothing actionable.
$(STAMP): pyproject.toml | $(BIN)/python
	PYTHONWARNINGS=ignore $(BIN)/pip install --quiet -e '.[server,dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/mauqif demo

# The browser test needs Debian's chromium and Noto fonts: installed here when missing (as root),
# otherwise the exact command to run is printed.
system-packages:
	@tools/system-packages.sh

test: $(STAMP) system-packages
	$(BIN)/python -m pytest
	$(MAKE) faults

# The fault suite: real commands against a real Label Studio, broken on purpose (killed, stopped,
# full disk, corrupt files, hostile input); prints a table of expected and observed outcomes.
# It mounts small tmpfs file systems, so it runs as root (those rows are skipped otherwise).
faults: $(STAMP)
	$(BIN)/python -m pytest tests/faults -p no:cacheprovider

bench: $(STAMP)
	$(BIN)/python -m bench

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

gold: $(STAMP)
	$(BIN)/python exports/build_gold.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
