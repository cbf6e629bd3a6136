# The two commands of the README:
#   make demo   -> set up everything, run the demo pipeline end to end on real services
#   make test   -> set up everything, run ruff, mypy, rule checks and every test against the real stack
# Both are idempotent; everything else here is what they are made of.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.narrmon-installed

.PHONY: setup demo test lint typecheck pytest stack-up stack-down

$(STAMP): pyproject.toml scripts/bootstrap.sh
	bash scripts/bootstrap.sh
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(VENV)/bin/narrmon demo

lint: setup
	$(VENV)/bin/ruff check pipeline connectors models tests scripts
	$(VENV)/bin/ruff format --check pipeline connectors models tests scripts

typecheck: setup
	$(VENV)/bin/mypy

pytest: setup
	$(VENV)/bin/pytest

test: lint typecheck pytest

stack-up: setup
	$(VENV)/bin/narrmon stack up

stack-down: setup
	$(VENV)/bin/narrmon stack down
