"""Every benchmark still runs: each bench/*_bench.py once in smoke mode (SC_BENCH_SMOKE=1,
see bench/harness.py: tiny sizes, every step, figures printed, no timing looked at), run
as `make bench` runs it. A benchmark that exits non-zero fails here, with its output.

Each sets up what it needs itself (its own databases, Superset and Odoo servers) and
stops it at the end; none uses the session's servers.
"""

import os
import signal
import subprocess
import time

import pytest

from devstack import odoo as odoo_stack
from devstack import settings
from devstack.venvs import python_of

BENCH = settings.REPO / "bench"
SCRIPTS = sorted(BENCH.glob("*_bench.py"))
TIMEOUT = 600  # a smoke run takes well under a minute; this is for a hung one
SHOWN = 20_000  # characters of the output a failure shows (its end)


def _run(argv, env):
    """(exit code, output); a run past TIMEOUT is interrupted (Ctrl-C: its `finally`
    blocks stop the servers it started) and counts as failed."""
    process = subprocess.Popen(
        argv, cwd=settings.REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        output, _ = process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGINT)
        try:
            output, _ = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        return None, f"{output}\n[interrupted after {TIMEOUT} s]"
    return process.returncode, output


@pytest.mark.parametrize("script", SCRIPTS, ids=[script.stem for script in SCRIPTS])
def test_benchmark_runs_in_smoke_mode(stack, script, tmp_path):
    """The benchmark, with the interpreter and PYTHONPATH `make bench` gives it (the Odoo
    source, dev/, tests/, bench/), exits 0 in smoke mode."""
    env = odoo_stack.odoo_env(stack.odoo_path)
    env.update(
        PYTHONPATH=os.pathsep.join(
            str(path) for path in (stack.odoo_path, settings.REPO / "dev", settings.REPO / "tests", BENCH)
        ),
        SC_BENCH_SMOKE="1",
        TMPDIR=str(tmp_path),  # its work folders and logs, kept by pytest for a look
    )
    started = time.monotonic()
    code, output = _run([python_of(stack.odoo_venv), str(script)], env)
    elapsed = time.monotonic() - started
    print(output)  # the figures: shown with -rP or -s
    assert code == 0, (
        f"{script.name} in smoke mode exited {code} after {elapsed:.0f} s; its output (end):\n{output[-SHOWN:]}"
    )
