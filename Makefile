# Contact discovery: `make help` lists the targets.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
INBOX ?= data/sample/inbox
DB ?= data/contacts.duckdb
INDUSTRY ?= pharma

.DEFAULT_GOAL := help
.PHONY: help install install-browser refresh discover sample test lint typecheck check bench bench-quick bench-match bench-rank report-screenshots clean install-spark bench-spark

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install the project (done on first use by other targets)

# The report's browser test needs Debian's chromium; without it (not root, no apt) the test skips.
CHROMIUM ?= chromium
install-browser: ## Install chromium for the browser test (as root with apt; never fails the run)
	@if command -v "$(CHROMIUM)" >/dev/null 2>&1; then echo "chromium: $$(command -v "$(CHROMIUM)")"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium) \
	  || echo "could not install chromium: the report's browser test will be skipped"; \
	else echo "chromium is not installed and this is not root with apt: the report's browser test will be skipped (sudo apt-get install chromium)"; fi
install-spark: $(STAMP) ## Add the spark extra (pyspark; needs Java 17+) for refresh --engine spark
	$(BIN)/pip install --quiet -e '.[spark]'

refresh: $(STAMP) ## Build $(DB) from $(INBOX) (override with INBOX=dir DB=file)
	$(BIN)/contacts refresh --inbox "$(INBOX)" --db "$(DB)"

discover: $(STAMP) ## Print the ranked list for INDUSTRY (default pharma) from $(DB)
	$(BIN)/discover --industry "$(INDUSTRY)" --db "$(DB)"

sample: $(STAMP) ## Regenerate the bundled sample inbox in data/sample/ from its generator
	$(BIN)/python -m worlds.generate --out data/sample --people 80 --seed 7 --sources linkedin,alumni,team

test: $(STAMP) ## Run the tests
	$(BIN)/pytest

lint: $(STAMP) ## ruff (style, imports, bugbear)
	$(BIN)/ruff check .

typecheck: $(STAMP) ## mypy, strict
	$(BIN)/mypy contract connectors pipeline worlds

check: lint typecheck test ## Everything that must pass before a commit

bench: $(STAMP) ## Scale 10k/100k/1M, matching quality, Splink beside ours at 10k, ranking (SIZES= SOURCES= REFERENCE_UP_TO=)
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python -m bench.run $(if $(SIZES),--sizes $(SIZES)) $(if $(SOURCES),--sources $(SOURCES)) $(if $(REFERENCE_UP_TO),--reference-up-to $(REFERENCE_UP_TO))

bench-quick: $(STAMP) ## Benchmark smoke run on a tiny world, no reference (seconds)
	$(BIN)/python -m bench.run --quick
bench-match: $(STAMP) ## Ours beside Splink: FEBRL1-4 and worlds clean/today/heavy (bench/out/match_quality.json)
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python -m bench.match_quality

bench-spark: $(STAMP) ## Matching on Spark (local[2]) beside embedded: time, memory of the process tree, F1 (SIZES=100k)
	$(BIN)/pip install --quiet -e '.[spark]'
	$(BIN)/python -m bench.spark_bench --sizes $(or $(SIZES),100k)

bench-rank: $(STAMP) ## Ranking quality on a generated world: precision@50, duplicates, warm>cold
	$(BIN)/python bench/rank_quality.py --people 1000 --seed 11 --top 50

report-screenshots: $(STAMP) ## The sample's weekly report at desktop and phone widths: bench/out/report-*.png
	$(BIN)/python -m bench.report_screenshots --out bench/out

clean: ## Remove the virtual environment, the database and its lock and parse cache (not the outreach journal)
	rm -rf $(VENV) $(DB) $(DB).wal $(DB).lock $(DB).cache .mypy_cache .ruff_cache .pytest_cache
