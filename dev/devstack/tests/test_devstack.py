"""Set-up problems give one clear line, not a traceback (the faults are caused for real)."""

import os
import socket
import subprocess
import sys

from devstack import settings
from devstack.procs import free_port, pick_port


def _devstack(*args, **env):
    full_env = {k: v for k, v in os.environ.items() if k not in ("ODOO_PATH",)}
    full_env.update(PYTHONPATH=str(settings.REPO / "dev"), **env)
    return subprocess.run(
        [sys.executable, "-m", "devstack", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=300,
        check=False,
    )


def _one_error_line(result):
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1, result.stderr
    return errors[0]


def test_taken_port_is_replaced_and_said(capsys):
    """A taken default port: a free one is used and the user is told which."""
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        taken = blocker.getsockname()[1]
        chosen = pick_port(taken, "Odoo", "ODOO_PORT")
    assert chosen != taken
    out = capsys.readouterr().out
    assert f"Port {taken} is taken; Odoo uses port {chosen} instead" in out


def test_free_port_is_kept(capsys):
    port = free_port()
    assert pick_port(port, "Odoo", "ODOO_PORT") == port
    assert capsys.readouterr().out == ""


def test_missing_odoo_source_without_network(tmp_path):
    """No Odoo source and no way to clone it: one line saying where to put the source."""
    closed = free_port()
    result = _devstack("setup", SC_CACHE_DIR=str(tmp_path), ODOO_GIT_URL=f"http://127.0.0.1:{closed}/odoo/odoo.git")
    line = _one_error_line(result)
    assert line.startswith("error: Odoo 18.0 source is missing and cloning it failed")
    assert f"Put the Odoo 18.0 source in {tmp_path / 'odoo-18.0'} or set ODOO_PATH" in line


def test_odoo_path_that_is_not_odoo(tmp_path):
    result = _devstack("setup", ODOO_PATH=str(tmp_path))
    line = _one_error_line(result)
    assert f"ODOO_PATH={tmp_path} does not hold the Odoo 18.0 source" in line


def test_postgresql_not_running_names_the_fix():
    """No PostgreSQL on the configured port (none configured there to start): the fix is named."""
    closed = free_port()
    result = _devstack("setup", PGPORT=str(closed))
    line = _one_error_line(result)
    assert f"error: PostgreSQL is not running on 127.0.0.1:{closed}" in line
    assert "pg_ctlcluster" in line and "PGHOST/PGPORT" in line
