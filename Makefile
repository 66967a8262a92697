# Kontor: `make run` starts the hub on the embedded default, `make test` runs lint and the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install lint messages clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/python scripts/run.py

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python scripts/test.py $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

# Collect new translatable strings into locale/de and the apps' locale folders, then compile.
messages: $(STAMP)
	$(BIN)/python manage.py makemessages -l de --ignore='.venv/*' --ignore='var/*'
	$(BIN)/python manage.py compilemessages --ignore='.venv/*'

clean:
	rm -rf var/ .pytest_cache
