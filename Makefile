# Two commands do everything on a fresh machine with only Python 3:
#   make run    build the warehouse on DuckDB (sample data generated if RAW_PATH is not set) and the report
#   make test   lint, pytest, dbt build with all data and unit tests on the fixtures
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DBT_PROFILES_DIR := $(CURDIR)
export DBT_SEND_ANONYMOUS_USAGE_STATS := false

.PHONY: run test lint lint-sql lint-sql-built pytest fixtures bench test-spark clean docs export browser report-screenshot tier-diff

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $(STAMP)

# make run FULL_REFRESH=1 rebuilds every incremental model from all raw files
# make run STRICT=1 makes the quality gate's distribution warnings (tier mix, score balance) fail it
run: $(STAMP)
	$(BIN)/python -m livetier run $(if $(filter 1,$(FULL_REFRESH)),--full-refresh)

test: $(STAMP) $(VENV)/.installed-spark browser lint fixtures lint-sql-built pytest

# sqlfluff's dbt templater renders every model against a throwaway, empty DuckDB file (and its own
# target dir), never against the user's built warehouse, so that the result does not depend on what
# was built before (make run, then make test, must pass); lint-sql-built lints the other rendering.
LINT_DIR ?= $(CURDIR)/target/lint
SQLFLUFF_PATHS ?= models analyses
lint: $(STAMP)
	$(BIN)/ruff check livetier tests/python
	$(MAKE) --no-print-directory lint-sql

lint-sql: $(STAMP)
	rm -rf $(LINT_DIR) && mkdir -p $(LINT_DIR)
	DUCKDB_PATH=$(LINT_DIR)/lint.duckdb DBT_TARGET_PATH=$(LINT_DIR)/target $(BIN)/sqlfluff lint $(SQLFLUFF_PATHS)
	rm -rf $(LINT_DIR)

# the models once more, rendered against a copy of the worked examples' built warehouse (after
# `fixtures`): there is_incremental() is true and the date literals have values, so the branches a
# night runs are linted too
FIXTURES_WORK = target/.livetier/fixtures.work.duckdb
lint-sql-built: $(STAMP)
	rm -rf $(LINT_DIR)-built && mkdir -p $(LINT_DIR)-built
	cp $(FIXTURES_WORK) $(LINT_DIR)-built/lint.duckdb
	cp $(FIXTURES_WORK).pii-key $(LINT_DIR)-built/lint.duckdb.pii-key
	cp -r $(FIXTURES_WORK).landing $(LINT_DIR)-built/lint.duckdb.landing
	DUCKDB_PATH=$(LINT_DIR)-built/lint.duckdb RAW_PATH=$(CURDIR)/tests/fixtures/examples/raw \
		DBT_TARGET_PATH=$(LINT_DIR)-built/target $(BIN)/sqlfluff lint $(SQLFLUFF_PATHS) \
		> $(LINT_DIR)-built/lint.log 2>&1; status=$$?; cat $(LINT_DIR)-built/lint.log; \
		if grep -q "Skipped file" $(LINT_DIR)-built/lint.log; then \
			echo "lint-sql-built: a model above could not be rendered against the built examples"; exit 1; fi; \
		exit $$status
	rm -rf $(LINT_DIR)-built

# dbt build (seeds, models, data tests, unit tests) and the quality checkpoint on the worked examples
fixtures: $(STAMP)
	$(BIN)/python -m livetier build --raw tests/fixtures/examples/raw --db target/fixtures.duckdb \
		--as-of 2025-03-31

# two workers (pytest-xdist), each test module whole on one of them (its module fixtures built once);
# PYTEST_WORKERS=0 runs in this process, one test after the other
PYTEST_WORKERS ?= 2
pytest: $(STAMP) $(VENV)/.installed-spark browser
	$(BIN)/python -m pytest -q $(if $(filter 0,$(PYTEST_WORKERS)),,-n $(PYTEST_WORKERS) --dist loadfile) --durations=15

# make bench SCALE=medium also measures an incremental day with 6 and 12 months of history (on at medium
# and large); BENCH_ARGS passes more flags, e.g. BENCH_ARGS=--history-only or "--history --history-users 300"
bench: $(STAMP)
	$(BIN)/python -m livetier bench --scale $(or $(SCALE),small) $(BENCH_ARGS)

# the static dbt docs site (one self-contained HTML file, works offline), with the catalog of the
# working warehouse of DUCKDB_PATH (build it first with make run for column types and row counts)
# (--no-compile: compiling would run the on-run-start hooks, which need a prepared raw folder)
docs: $(STAMP)
	$(BIN)/dbt parse --quiet --target-path $(CURDIR)/target/docs
	DUCKDB_PATH="$$($(BIN)/python -m livetier.publish work-path)" \
		$(BIN)/dbt docs generate --static --no-compile --target-path $(CURDIR)/target/docs
	@echo "dbt docs site: target/docs/static_index.html"

# every public mart of the published file as Parquet (FORMAT=csv for CSV) with a manifest, into OUT
export: $(STAMP)
	$(BIN)/python -m livetier export --out $(or $(OUT),exports) --format $(or $(FORMAT),parquet)

# what the working tree does to the tiers against a base revision (RAW_PATH, AS_OF_DATE as for make run);
# markdown on stdout, and with OUT=DIR also tier_diff.md, tier_diff.csv, tier_diff_users.csv, tier_diff.json
tier-diff: $(STAMP)
	@test -n "$(BASE)" || { echo "usage: make tier-diff BASE=<git revision> [OUT=DIR]" >&2; exit 2; }
	$(BIN)/python -m livetier diff --base "$(BASE)" $(if $(OUT),--out "$(OUT)")

clean:
	rm -rf target logs warehouse.duckdb .livetier exports reports

# Headless Chromium (Debian's chromium) and a CJK font, for the report's browser test
# (tests/python/test_report.py): installed with apt-get when missing, as root; LIVETIER_SKIP_BROWSER=1
# opts out (the test then skips; without Chromium and without the opt-out it fails).
CHROMIUM ?= /usr/bin/chromium
CHROMIUM_PACKAGES := chromium fonts-wqy-microhei
browser:
	@if [ -x $(CHROMIUM) ] && [ -n "$$(fc-list :lang=zh 2>/dev/null)" ]; then :; \
	elif [ "$(LIVETIER_SKIP_BROWSER)" = 1 ]; then echo "LIVETIER_SKIP_BROWSER=1: Chromium not checked, the browser test skips."; \
	elif [ "$$(id -u)" = 0 ]; then export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y $(CHROMIUM_PACKAGES) || { apt-get update && apt-get install -y $(CHROMIUM_PACKAGES); }; \
	else echo "error: Chromium ($(CHROMIUM)) or a Chinese font is missing and installing them needs root: run 'sudo apt-get install $(CHROMIUM_PACKAGES)', or set LIVETIER_SKIP_BROWSER=1 to skip the browser test."; exit 1; fi

# the README's picture of the report: make run first (it writes reports/index.html from the sample data)
report-screenshot: $(STAMP) browser
	$(BIN)/python -m livetier.browser screenshot reports/index.html docs/report.png

# DuckDB vs Spark parity (every model, seed and test): installs the Spark extra (needs Java 17); ~10 min
$(VENV)/.installed-spark: requirements-spark.txt $(STAMP)
	$(BIN)/python -m pip install --quiet -r requirements-spark.txt
	@touch $@

test-spark: $(VENV)/.installed-spark
	$(BIN)/python -m pytest -q tests/python/test_spark_parity.py
