"""`make bench`: run bench/analytics_bench.py with the Odoo venv, PYTHONPATH holding the
Odoo source and dev/ (what `make bench NAME=analytics` does once devstack has its own
bench command). Standard library + devstack only.

    BENCH_KEEP=1 keeps the benchmark database (and its data) for the next run;
    BENCH_FRESH=1 rebuilds it.
"""

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "dev"))

from devstack import odoo  # noqa: E402
from devstack.stack import setup  # noqa: E402
from devstack.venvs import python_of  # noqa: E402


def main():
    stack = setup()
    env = odoo.odoo_env(stack.odoo_path)
    env["PYTHONPATH"] = os.pathsep.join([str(stack.odoo_path), str(REPO / "dev")])
    script = REPO / "bench" / "analytics_bench.py"
    return subprocess.run([python_of(stack.odoo_venv), str(script)], cwd=REPO, env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
