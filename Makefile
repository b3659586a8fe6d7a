.PHONY: demo test airflow bench lint
demo:    ## set up and run the main job on the embedded default
	scripts/demo.sh
test:    ## set up and run the whole test suite
	scripts/test.sh
airflow: ## open the Airflow UI on the repo-local home (localhost:8080)
	scripts/airflow.sh
bench:   ## run the benchmarks under bench/
	scripts/bench.sh
