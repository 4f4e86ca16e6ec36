"""What every benchmark shares: its smoke mode, and the addon importable as Odoo imports it.

SC_BENCH_SMOKE=1 runs a benchmark at tiny sizes, in seconds: every step runs and every
figure is printed (meaningless at that size), on databases of its own, dropped at the
end. `make test` runs every benchmark so (tests/test_benchmarks.py), so that one that no
longer runs is seen at once. No timing is ever asserted, in either mode.
"""

import importlib
import os

from devstack import settings

SMOKE = os.environ.get("SC_BENCH_SMOKE", "") not in ("", "0")


def size(env_name, full, smoke):
    """A size of the run: `smoke` in smoke mode, else the environment's value or `full`."""
    if SMOKE:
        return smoke
    return int(os.environ.get(env_name) or full)


def announce():
    if SMOKE:
        print("smoke mode (SC_BENCH_SMOKE=1): tiny sizes, the figures mean nothing", flush=True)


def use_addon():
    """odoo.addons.superset_connector importable before any Odoo configuration is read
    (odoo-bin adds this repository from its addons path; a benchmark imports the addon's
    pure services, and the test fixtures that use them, without one)."""
    addons = importlib.import_module("odoo.addons")
    if str(settings.REPO) not in addons.__path__:
        addons.__path__.append(str(settings.REPO))
