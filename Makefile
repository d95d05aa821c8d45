# d3 — the two commands a newcomer types: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: venv install run test test-fast lint bench clean lock

venv: $(BIN)/python

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "d3 needs Python >= 3.11")'
	$(PYTHON) -m venv $(VENV)

# Exact versions from requirements.lock (RNG-7), then d3 itself without re-resolving. pip installs only uv (its
# version pinned in the lock too), and uv the rest: the same wheels in ~10 s instead of pip's ~47 s (README).
UV := $(BIN)/uv pip install --quiet --python $(BIN)/python

$(STAMP): $(BIN)/python requirements.lock pyproject.toml
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "$$(grep -m1 '^uv==' requirements.lock)"
	$(UV) --compile-bytecode -r requirements.lock
	$(UV) --no-deps --no-build-isolation -e .
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/d3 run --inputs inputs --out outputs

# Python may cache compiled modules even where the environment says not to (PYTHONDONTWRITEBYTECODE, set on some
# machines): otherwise each of the suite's processes compiles d3_engine again and pytest rewrites the asserts of
# every test module again (~4 s a pytest process, ~0.3 s a `d3` the tests start). The caches are __pycache__
# folders, which git ignores.
PYTEST := env -u PYTHONDONTWRITEBYTECODE $(BIN)/python -m pytest

# Everything, on 2 workers (the standard runs are computed once and shared), with line coverage of d3_engine.
test: install
	$(PYTEST) -n 2 --dist loadscope --cov=d3_engine --cov-report=term:skip-covered --cov-fail-under=85

# The fast loop: no test that makes a whole run of its own (marker e2e), no coverage.
test-fast: install
	$(PYTEST) -n 2 --dist loadscope -m "not e2e"

lint: install
	$(BIN)/ruff check d3_engine tests tools
	$(BIN)/ruff format --check d3_engine tests tools
	$(BIN)/mypy

# Issue 13's targets (make run <= 30 s; 100k paths <= 60 s and 4 GiB; 1M paths <= 10 min and 4 GiB).
# PLANS="100k" runs one plan only (make-run, 10k, 100k, 1M).
bench: install
	$(BIN)/python tools/bench.py $(PLANS)

lock: venv
	$(BIN)/python -m pip freeze --all --exclude-editable | grep -v -e '^d3-engine' -e '^pip==' > requirements.lock.new
	@mv requirements.lock.new requirements.lock

clean:
	rm -rf $(VENV) outputs .pytest_cache .mypy_cache .ruff_cache .coverage build *.egg-info
