"""The benchmarks' smoke runs (tests/test_benchmarks.py), started in the background as
soon as pytest has collected them, one after another: each sets up servers of its own
and spends most of its time waiting on them, so they overlap the tests that run
meanwhile instead of adding minutes at the end. The test of each benchmark waits for
its run and checks it.
"""

import os
import signal
import subprocess
import tempfile
import threading
import time

from devstack import odoo as odoo_stack
from devstack import settings
from devstack.venvs import python_of

BENCH = settings.REPO / "bench"
SCRIPTS = sorted(BENCH.glob("*_bench.py"))
TIMEOUT = 600  # one smoke run takes a few minutes at most; this is for a hung one


class SmokeRuns:
    """The smoke runs of some benchmarks, in a thread: result(script) waits for one."""

    def __init__(self, stack, scripts, folder):
        self.stack = stack
        self.scripts = list(scripts)
        self.folder = folder
        self.results = {}  # script -> (exit code or None, output, seconds)
        self.done = {script: threading.Event() for script in self.scripts}
        self.process = None
        self.stopping = False
        self.thread = threading.Thread(target=self._run_all, name="benchmark smoke runs", daemon=True)

    def start(self):
        self.thread.start()
        return self

    def result(self, script, timeout):
        """(exit code, output, seconds) of the script's run, waiting for it; None if not
        done in time. A script not started in the background runs now."""
        if script not in self.done:
            started = time.monotonic()
            code, output = self._run(script)
            return code, output, time.monotonic() - started
        if not self.done[script].wait(timeout):
            return None
        return self.results[script]

    def stop(self):
        """Interrupt the run under way (Ctrl-C: its `finally` blocks stop its servers)."""
        self.stopping = True
        process = self.process
        if process and process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
        self.thread.join(timeout=70)

    def _run_all(self):
        for script in self.scripts:
            if self.stopping:
                self.results[script] = (None, "[not run: the test session ended first]", 0.0)
            else:
                started = time.monotonic()
                code, output = self._run(script)
                self.results[script] = (code, output, time.monotonic() - started)
            self.done[script].set()

    def _run(self, script):
        """(exit code, output) of the script as `make bench` runs it, in smoke mode; a run
        past TIMEOUT is interrupted and counts as failed."""
        work = tempfile.mkdtemp(prefix=f"{script.stem}-", dir=self.folder)
        env = odoo_stack.odoo_env(self.stack.odoo_path)
        env.update(
            PYTHONPATH=os.pathsep.join(
                str(path) for path in (self.stack.odoo_path, settings.REPO / "dev", settings.REPO / "tests", BENCH)
            ),
            SC_BENCH_SMOKE="1",
            TMPDIR=work,  # its work folders and logs, kept for a look
        )
        # A local name: a run in the foreground (result()) may start while one goes on here.
        process = subprocess.Popen(
            [python_of(self.stack.odoo_venv), str(script)],
            cwd=settings.REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.process = process  # what stop() interrupts
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
