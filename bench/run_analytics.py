"""`make bench`: the analytics benchmark on a database of its own.

Copies the apps template, installs superset_connector (first run only; later runs reuse
the database and its data unless --fresh), then runs bench/analytics_bench.py with
the Odoo venv. Standard library + devstack only, like the rest of the tooling.

    python3 bench/run_analytics.py [--fresh] [--keep]   (PYTHONPATH=dev)
"""

import argparse
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "dev"))

from devstack import odoo, postgres, settings  # noqa: E402
from devstack.console import step  # noqa: E402
from devstack.stack import setup  # noqa: E402
from devstack.venvs import python_of  # noqa: E402

DB = "sc_bench_analytics"
RUN_DIR = settings.RUN_DIR / "bench"


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fresh", action="store_true", help="rebuild the database and its data")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards (default: drop it)")
    args = parser.parse_args()
    stack = setup()
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    if args.fresh or not postgres.db_exists(DB):
        step(f"Installing superset_connector into a copy of the apps template ({DB})")
        odoo.install(stack, stack.template("apps"), DB, RUN_DIR / "install.log")
    config = odoo.write_config(RUN_DIR / "odoo.conf", stack.odoo_path, db=DB, logfile=RUN_DIR / "odoo.log")
    step("Running the analytics benchmark (1M sale order lines; several minutes)")
    try:
        result = subprocess.run(
            [python_of(stack.odoo_venv), str(REPO / "bench" / "analytics_bench.py"), str(config), DB],
            env=odoo.odoo_env(stack.odoo_path),
            check=False,
        )
    finally:
        if not args.keep:
            odoo.drop_db(DB)
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
