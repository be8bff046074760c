# engagement: `make run` and `make test` are all a fresh machine needs (Python 3.11+ and make).
SHELL := /bin/bash
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	&& { command -v $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SAMPLE := data/influencers_data_realistic_malformed.csv
CAMPAIGN ?= campaign_6
API_PORT ?= 8000
DASHBOARD_PORT ?= 8866
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.DEFAULT_GOAL := help
.PHONY: help install run report serve dashboard screenshots browser bench reliability test lint format db-start db-stop db-status clean

help: ## Show the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*## "}; {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "error: Python 3.11+ not found (set PYTHON=...)"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[all,dev]"
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install the project with its dev tools

run: $(STAMP) ## Load the sample through the report notebook, then serve the API and the dashboard
	$(BIN)/engagement report --input $(SAMPLE)
	$(BIN)/engagement top $(CAMPAIGN) --limit 10
	@echo "API:       http://127.0.0.1:$(API_PORT)/top-performers?campaignId=$(CAMPAIGN)&limit=3"
	@echo "dashboard: http://127.0.0.1:$(DASHBOARD_PORT)/   (Ctrl-C stops both)"
	@trap 'kill 0' INT TERM EXIT; \
	$(BIN)/engagement dashboard --port $(DASHBOARD_PORT) & \
	$(BIN)/engagement serve --port $(API_PORT)

dashboard: $(STAMP) ## Serve the Voila dashboard on the configured store
	$(BIN)/engagement dashboard --port $(DASHBOARD_PORT)

screenshots: $(STAMP) browser ## Refresh docs/dashboard.png and docs/campaign.png from the browser tests
	mkdir -p docs
	ENGAGEMENT_SCREENSHOT=docs/dashboard.png ENGAGEMENT_CAMPAIGN_SCREENSHOT=docs/campaign.png \
		$(BIN)/pytest -q tests/e2e/test_dashboard_browser.py -k "renders_all_campaigns or hover_and_click"

browser: ## Install Debian's Chromium for the browser tests, when missing
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; }

report: $(STAMP) ## Run the ETL of the sample through the notebook: reports/<runId>.ipynb + .html
	$(BIN)/engagement report --input $(SAMPLE)

serve: $(STAMP) ## Serve the REST API on the configured store
	$(BIN)/engagement serve --port $(API_PORT)

test: $(STAMP) browser lint ## Run the linters and the whole test suite (browser tests included)
	$(BIN)/pytest

lint: $(STAMP) ## ruff (lint + format check) and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP) ## Format the code with ruff
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

db-start: $(STAMP) ## Start the embedded store
	$(BIN)/engagement db start

db-stop: $(STAMP) ## Stop the embedded store
	$(BIN)/engagement db stop

db-status: $(STAMP) ## Is the embedded store running?
	$(BIN)/engagement db status

bench: $(STAMP) ## Benchmarks against Polars, DuckDB and the seed-style ETL (10M rows; minutes)
	$(BIN)/python -m pip install --quiet -e ".[all,dev,bench]"
	@command -v wrk >/dev/null || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq wrk; }
	$(BIN)/python -m bench.run --readme
	$(BIN)/python -m bench.dashboard --readme

reliability: $(STAMP) ## Crash, outage, concurrency, load (60 s) and fuzz tests; prints the figures into README
	$(BIN)/python -m bench.reliability --readme

clean: ## Stop the embedded store, remove the venv, caches and store data
	-test -x $(BIN)/engagement && $(BIN)/engagement db stop
	rm -rf $(VENV) .engagement .pytest_cache .mypy_cache .ruff_cache .hypothesis reports
