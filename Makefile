# d3 — the two commands a newcomer types: `make run` and `make test`.

# The Python .venv is made from: the first of PYTHON_CANDIDATES that is Python >= 3.11 with venv and ensurepip.
# The distribution's own interpreter comes first: Debian and Ubuntu build it with profile-guided and
# link-time optimisation and link libpython statically, which a source build leaves out by default (pyenv's among
# them); here it runs d3's Python a third faster (the same loop 0.99 s against 1.55 s; a fresh clone's `make test`
# 201 s → 184–191 s). Inside an activated virtualenv or conda environment, its python3 comes first. `make
# PYTHON=python3.12 …` (or PYTHON in the environment) chooses; an existing .venv is kept (`rm -rf .venv` rebuilds it).
# Looked up once, when a recipe first needs it.
PYTHON_CANDIDATES := $(if $(VIRTUAL_ENV)$(CONDA_PREFIX),python3 /usr/bin/python3,/usr/bin/python3 python3)
PYTHON_CHECK := import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))
ifeq ($(origin PYTHON),undefined)
PYTHON = $(eval PYTHON := $(or $(shell for candidate in $(PYTHON_CANDIDATES); do \
	$$candidate -c '$(PYTHON_CHECK)' >/dev/null 2>&1 && { echo $$candidate; break; }; done),python3))$(PYTHON)
endif
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Plain `make` installs d3 into .venv (and nothing else).
.DEFAULT_GOAL := install

# Python keeps its compiled modules even where the environment says not to (PYTHONDONTWRITEBYTECODE, set on some
# machines): otherwise every process compiles d3_engine again (~0.3 s a `d3` command) and each pytest process
# rewrites the asserts of every test module again (2–4 s). The caches are __pycache__ folders, which git ignores.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: venv install run test test-fast lint bench clean lock

venv: $(BIN)/python

# Exact versions from requirements.lock (RNG-7), then d3 itself without re-resolving. By default pip installs only
# uv (its version pinned in the lock too) and uv the rest, pip included: the same wheels in ~5 s with uv's cache
# warm (~15 s downloading them) instead of pip's ~47 s. The venv starts without pip and PYTHON's own pip puts uv
# into it (`pip --python`, pip >= 22.3, the venv's Python version): ~2 s less than ensurepip, which copies pip in
# first; a venv that has pip (from the lock) uses its own, and without either, ensurepip it is. uv does not read
# pip's settings (README: UV_DEFAULT_INDEX behind a mirror); `make install INSTALLER=pip` installs with pip.
INSTALLER ?= uv
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check
UV_INSTALL := $(BIN)/uv pip install --quiet --python $(BIN)/python
PIP_WITH_PYTHON_OPTION := import sys, pip; sys.exit(tuple(int(p) for p in pip.__version__.split(".")[:2]) < (22, 3))
MAJOR_MINOR := import sys; print(*sys.version_info[:2])

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "d3 needs Python >= 3.11")'
ifeq ($(INSTALLER),pip)
	$(PYTHON) -m venv $(VENV)
else
	$(PYTHON) -m venv --without-pip $(VENV)
endif

$(STAMP): $(BIN)/python requirements.lock pyproject.toml
ifeq ($(INSTALLER),pip)
	@$(BIN)/python -c 'import pip' 2>/dev/null || $(BIN)/python -m ensurepip --default-pip >/dev/null
	$(PIP) -r requirements.lock
	$(PIP) --no-deps --no-build-isolation -e .
else
	@pin=$$(grep -m1 -x 'uv==[0-9][0-9.]*' requirements.lock) || { echo "requirements.lock pins no uv (uv==X.Y.Z): restore it from git, or use make install INSTALLER=pip" >&2; exit 2; }; \
	if $(BIN)/python -c 'import pip' 2>/dev/null; then \
	  echo "$(PIP) $$pin"; $(PIP) "$$pin"; \
	elif $(PYTHON) -c '$(PIP_WITH_PYTHON_OPTION)' 2>/dev/null \
	     && [ "$$($(PYTHON) -c '$(MAJOR_MINOR)')" = "$$($(BIN)/python -c '$(MAJOR_MINOR)')" ]; then \
	  echo "$(PYTHON) -m pip --python $(BIN)/python install --quiet --disable-pip-version-check $$pin"; \
	  $(PYTHON) -m pip --python $(BIN)/python install --quiet --disable-pip-version-check "$$pin"; \
	else \
	  echo "(no pip >= 22.3 of $(VENV)'s Python version at $(PYTHON): ensurepip first)"; \
	  $(BIN)/python -m ensurepip --default-pip >/dev/null && echo "$(PIP) $$pin" && $(PIP) "$$pin"; \
	fi
	$(UV_INSTALL) --compile-bytecode -r requirements.lock
	$(UV_INSTALL) --no-deps --no-build-isolation -e .
endif
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/d3 run --inputs inputs --out outputs

# Everything, on 2 workers (the standard runs are computed once and shared), with line coverage of d3_engine.
test: install
	$(BIN)/python -m pytest -n 2 --dist loadscope --cov=d3_engine --cov-report=term:skip-covered --cov-fail-under=85

# The fast loop: no test that makes a whole run of its own (marker e2e), no coverage.
test-fast: install
	$(BIN)/python -m pytest -n 2 --dist loadscope -m "not e2e"

lint: install
	$(BIN)/ruff check d3_engine tests tools
	$(BIN)/ruff format --check d3_engine tests tools
	$(BIN)/mypy

# Issue 13's targets (make run <= 30 s; 100k paths <= 60 s and 4 GiB; 1M paths <= 10 min and 4 GiB).
# PLANS="100k" runs one plan only (make-run, 10k, 100k, 1M).
bench: install
	$(BIN)/python tools/bench.py $(PLANS)

# From the installed venv (pip included: the lock pins it), keeping the header comments.
lock: $(STAMP)
	{ grep '^#' requirements.lock; $(BIN)/python -m pip freeze --all --exclude-editable | grep -v '^d3-engine'; } > requirements.lock.new
	@mv requirements.lock.new requirements.lock

clean:
	rm -rf $(VENV) outputs .pytest_cache .mypy_cache .ruff_cache .hypothesis .coverage build *.egg-info
	find . -name __pycache__ -not -path './.git/*' -prune -exec rm -rf {} +
