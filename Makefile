# superset_connector: two commands for a new user, `make demo` and `make test`.
# Everything is done by dev/devstack (Python standard library only); see README.md.

PYTHON ?= python3
PROFILE ?= default
DEVSTACK = PYTHONPATH=dev $(PYTHON) -m devstack

.PHONY: demo test stop lint format setup bench pot

demo:  ## set up everything, run Odoo + Superset with demo data (Ctrl-C stops); PROFILE=production for workers, Redis, Celery, a standby
	@$(DEVSTACK) demo --profile $(PROFILE)

test:  ## set up what tests need, lint, run every test
	@$(DEVSTACK) test $(PYTEST_ARGS)

stop:  ## stop what the demo started
	@$(DEVSTACK) stop

lint:  ## ruff + pylint-odoo + prettier (XML, JavaScript)
	@$(DEVSTACK) lint

format:  ## apply ruff format and prettier
	@$(DEVSTACK) format

bench:  ## benchmarks (they print figures); NAME=guest_token, analytics or token_log_purge for one
	@$(DEVSTACK) bench $(NAME)

setup:  ## only the set-up (venvs, template databases, Superset metadata)
	@$(DEVSTACK) setup

pot:  ## export the translation template (superset_connector/i18n/superset_connector.pot)
	@$(DEVSTACK) pot
