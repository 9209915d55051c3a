# Two commands do everything on a fresh machine with only Python 3:
#   make run    build the warehouse on DuckDB (sample data generated if RAW_PATH is not set)
#   make test   lint, pytest, dbt build with all data and unit tests on the fixtures
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DBT_PROFILES_DIR := $(CURDIR)
export DBT_SEND_ANONYMOUS_USAGE_STATS := false

.PHONY: run test lint pytest fixtures bench test-spark clean

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m livetier run

test: $(STAMP) $(VENV)/.installed-spark lint fixtures pytest

lint: $(STAMP)
	$(BIN)/ruff check livetier tests/python
	$(BIN)/sqlfluff lint models analyses

# dbt build (seeds, models, data tests, unit tests) and the quality checkpoint on the worked examples
fixtures: $(STAMP)
	$(BIN)/python -m livetier build --raw tests/fixtures/examples/raw --db target/fixtures.duckdb \
		--as-of 2025-03-31 --check

pytest: $(STAMP) $(VENV)/.installed-spark
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python -m livetier bench --scale $(or $(SCALE),small)

clean:
	rm -rf target logs warehouse.duckdb

# DuckDB vs Spark parity (every model, seed and test): installs the Spark extra (needs Java 17); ~10 min
$(VENV)/.installed-spark: requirements-spark.txt $(STAMP)
	$(BIN)/python -m pip install --quiet -r requirements-spark.txt
	@touch $@

test-spark: $(VENV)/.installed-spark
	$(BIN)/python -m pytest -q tests/python/test_spark_parity.py
