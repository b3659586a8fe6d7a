SHELL := /bin/bash
.PHONY: demo test test-fast docs airflow bench
demo:      ## set up and run the main job on the embedded default
	scripts/demo.sh
test:      ## set up and run every lane of the test suite, formatting, lint and the docs build
	scripts/test.sh
test-fast: ## the unit lane only (no Airflow run, no model): the edit loop
	source scripts/env.sh && python -m pytest -q tests/unit
docs:      ## serve the documentation site (docs/, MkDocs) on localhost:8000
	scripts/setup.sh --dev && source scripts/env.sh && NO_MKDOCS_2_WARNING=1 mkdocs serve
airflow:   ## open the Airflow UI on the repo-local home (localhost:8080)
	scripts/airflow.sh
bench:     ## run the benchmarks under bench/
	scripts/bench.sh
