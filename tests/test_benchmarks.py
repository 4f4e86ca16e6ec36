"""Every benchmark still runs: each bench/*_bench.py once in smoke mode (SC_BENCH_SMOKE=1,
see bench/harness.py: tiny sizes, every step, figures printed, no timing looked at), run
as `make bench` runs it. A benchmark that exits non-zero fails here, with its output.

Each sets up what it needs itself (its own databases, Superset and Odoo servers) and
stops it at the end; none uses the session's servers. The runs start in the background
once pytest has collected these tests (conftest.py, tests/bench_smoke.py), so that they
overlap the other tests; each test here waits for its benchmark's run.
"""

import pytest
from bench_smoke import SCRIPTS, TIMEOUT

SHOWN = 20_000  # characters of the output a failure shows (its end)


@pytest.mark.parametrize("script", SCRIPTS, ids=[script.stem for script in SCRIPTS])
def test_benchmark_runs_in_smoke_mode(bench_smoke_runs, script):
    """The benchmark, with the interpreter and PYTHONPATH `make bench` gives it (the Odoo
    source, dev/, tests/, bench/), exits 0 in smoke mode."""
    # Its turn may come after the runs before it: wait for them all, at most.
    result = bench_smoke_runs.result(script, timeout=TIMEOUT * len(SCRIPTS) + 120)
    assert result is not None, f"{script.name}: its smoke run did not end"
    code, output, elapsed = result
    print(output)  # the figures: shown with -rP or -s
    assert code == 0, (
        f"{script.name} in smoke mode exited {code} after {elapsed:.0f} s; its output (end):\n{output[-SHOWN:]}"
    )
