# Kefu — developer and operator entry points. Needs only python3 (>= 3.12) and make.
VENV      ?= .venv
PY        := $(VENV)/bin/python
KEFU      := $(VENV)/bin/kefu
HOST      ?= 127.0.0.1
PORT      ?= 8000
export HOST PORT

.PHONY: demo test venv test-venv serve lint messages clean bench screenshots

# The venv is rebuilt when pyproject.toml changes; the stamp records which extras went in.
$(VENV)/.stamp-base: pyproject.toml
	@test -x $(PY) || $$(./scripts/find-python) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	@touch $@

$(VENV)/.stamp-test: pyproject.toml
	@test -x $(PY) || $$(./scripts/find-python) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(VENV)/.stamp-base $@

venv: $(VENV)/.stamp-base
test-venv: $(VENV)/.stamp-test

demo: venv
	$(KEFU) keys init
	$(KEFU) migrate --no-input
	$(KEFU) demo
	$(KEFU) serve --host $(HOST) --port $(PORT)

serve: venv
	$(KEFU) serve --host $(HOST) --port $(PORT)

test: test-venv
	$(PY) -m ruff check src tests bench
	$(PY) -m mypy
	$(KEFU) makemigrations --check --dry-run
	$(PY) -m pytest

lint: test-venv
	$(PY) -m ruff check src tests bench
	$(PY) -m mypy

# Needs GNU gettext; the compiled .mo files are committed so users do not need it.
messages: venv
	cd src/kefu && ../../$(KEFU) makemessages -l zh_Hans --no-obsolete && ../../$(KEFU) compilemessages -l zh_Hans

# Each main page in zh-Hans, from a throw-away demo, into docs/screenshots/ (needs Chromium).
screenshots: test-venv
	$(PY) scripts/screenshots.py

bench: test-venv
	$(PY) bench/intake.py

clean:
	rm -rf $(VENV) .pytest_cache build src/*.egg-info
