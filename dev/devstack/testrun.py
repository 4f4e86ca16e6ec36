"""`make test` and `make lint`: lint, then every test against real servers.

The addon is installed with odoo-bin on a copy of the apps template (pytest-odoo does
not install modules), while lint runs beside it; a second copy serves the end-to-end
Odoo server. pytest runs last, so its summary is the last thing printed.
"""

import os
import shutil
import subprocess
import threading

from . import debian, node, odoo, settings
from .console import SetupError, step
from .stack import setup
from .venvs import python_of

TEST_DIR = settings.RUN_DIR / "test"
MODULE = "superset_connector"


def lint(stack=None):
    stack = stack or setup()
    step("Lint: ruff check, ruff format --check, pylint-odoo, prettier --check")
    bin_dir = stack.odoo_venv / "bin"
    env = odoo.odoo_env(stack.odoo_path)
    checks = [
        [str(bin_dir / "ruff"), "check", "--no-cache", "."],
        [str(bin_dir / "ruff"), "format", "--no-cache", "--check", "."],
        [str(bin_dir / "pylint"), "--rcfile=.pylintrc", MODULE],
    ]
    failed = [argv for argv in checks if subprocess.run(argv, cwd=settings.REPO, env=env, check=False).returncode]
    names = [" ".join(a[0:2]).split("/")[-1] for a in failed]
    if not node.prettier():
        names.append("prettier (make format applies it)")
    if names:
        raise SetupError("lint failed: " + "; ".join(names))


class _Background:
    """A call run in a thread; result() waits for it and raises what it raised."""

    def __init__(self, call):
        self.error = None

        def run():
            try:
                call()
            except Exception as exc:  # handed to result(), in the caller's thread
                self.error = exc

        self.thread = threading.Thread(target=run, name="lint", daemon=True)
        self.thread.start()

    def result(self):
        self.thread.join()
        if self.error:
            raise self.error


def format_code():
    """What lint checks for style, applied: ruff format and prettier --write."""
    stack = setup()
    ruff = stack.odoo_venv / "bin" / "ruff"
    formatted = subprocess.run([str(ruff), "format", "--no-cache", "."], cwd=settings.REPO, check=False).returncode
    return 0 if node.prettier(write=True) and not formatted else 1


def bench(name=None):
    """Run bench/<name>_bench.py (all of them without a name) with the Odoo venv."""
    stack = setup()
    scripts = sorted((settings.REPO / "bench").glob(f"{name or '*'}_bench.py"))
    if not scripts:
        raise SetupError(f"no benchmark bench/{name}_bench.py")
    env = odoo.odoo_env(stack.odoo_path)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(stack.odoo_path), str(settings.REPO / "dev"), str(settings.REPO / "tests"), str(settings.REPO / "bench")]
    )
    failed = 0
    for script in scripts:
        step(f"Benchmark {script.name}")
        failed |= subprocess.run(
            [python_of(stack.odoo_venv), str(script)], cwd=settings.REPO, env=env, check=False
        ).returncode
    return failed


def test(pytest_args=()):
    stack = setup()
    # Every Odoo the tests start, here and in pytest, finds the tests' addons (tests/addons);
    # the template databases, shared with `make demo`, never do.
    os.environ[odoo.TEST_ADDONS_ENV] = "1"
    debian.ensure(debian.BROWSER, "for the browser tests")
    apps, base = stack.template("apps"), stack.template("base")
    stack.superset_metadata()
    linting = None
    if os.environ.get("SC_SKIP_LINT"):
        step("Lint skipped (SC_SKIP_LINT is set); CI and a plain `make test` run it")
    else:
        # Lint and the install below take about a minute each, on a core each: side by side.
        linting = _Background(lambda: lint(stack))
    shutil.rmtree(TEST_DIR, ignore_errors=True)
    (TEST_DIR / "logs").mkdir(parents=True)
    unit_db = f"sc_test_{os.getpid()}"
    e2e_db = f"{unit_db}_e2e"
    production_db = f"{unit_db}_production"  # served by the production profile's Odoo
    try:
        step(f"Installing {MODULE} into a copy of the apps template ({unit_db})")
        odoo.install(stack, apps, unit_db, TEST_DIR / "logs" / "install.log")
        odoo.copy_db(unit_db, e2e_db)
        odoo.copy_db(unit_db, production_db)
        if linting:
            linting.result()  # a lint failure stops the run here, as it did before the install
        conf = odoo.write_config(
            TEST_DIR / "pytest-odoo.conf",
            stack.odoo_path,
            db=unit_db,
            logfile=TEST_DIR / "logs" / "odoo-in-pytest.log",
            # No address-space limit on the test process: Chromium and chromedriver,
            # started from it, inherit the limit and crash under it.
            extra={"limit_memory_hard": 0},
        )
        env = odoo.odoo_env(stack.odoo_path)
        env.update(
            SC_TEST_E2E_DB=e2e_db,
            SC_TEST_PRODUCTION_DB=production_db,
            SC_TEST_TEMPLATE_BASE=base,
            SC_TEST_TEMPLATE_APPS=apps,
            SC_TEST_DIR=str(TEST_DIR),
        )
        # Paths among the arguments replace the default ones (a subset: a file, a folder).
        given = [a for a in pytest_args if not a.startswith("-") and (settings.REPO / a.split("::")[0]).exists()]
        argv = [
            python_of(stack.odoo_venv),
            "-m",
            "pytest",
            # The addon (its tests/ and services/tests/), tests/ (tests/production/, the
            # production profile's group, included) and the stack's own tests.
            *([] if given else [MODULE, "tests", "dev/devstack/tests"]),
            f"--odoo-config={conf}",
            f"--odoo-database={unit_db}",
            "--odoo-log-level=warn",
            "--odoo-http",
            *pytest_args,
        ]
        step("Running the tests (pytest)")
        return subprocess.run(argv, cwd=settings.REPO, env=env, check=False).returncode
    finally:
        for db in (production_db, e2e_db, unit_db):
            odoo.drop_db(db)
