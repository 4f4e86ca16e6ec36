# superset_connector: two commands for a new user, `make demo` and `make test`.
# Everything is done by dev/devstack (Python standard library only); see README.md.

PYTHON ?= python3
DEVSTACK = PYTHONPATH=dev $(PYTHON) -m devstack

.PHONY: demo test stop lint setup bench

demo:  ## set up everything, run Odoo + Superset with demo data (Ctrl-C stops)
	@$(DEVSTACK) demo

test:  ## set up what tests need, lint, run every test
	@$(DEVSTACK) test $(PYTEST_ARGS)

stop:  ## stop the demo servers
	@$(DEVSTACK) stop

lint:  ## ruff + pylint-odoo
	@$(DEVSTACK) lint

setup:  ## only the set-up (venvs, template databases, Superset metadata)
	@$(DEVSTACK) setup

bench:  ## analytics benchmark: 1M sale order lines, dashboard queries, refreshes (prints figures); BENCH_KEEP=1 keeps its database
	@PYTHONPATH=dev $(PYTHON) bench/run_analytics.py
