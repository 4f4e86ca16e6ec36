"""PostgreSQL: find or start a server, create Odoo's role, copy and drop databases."""

import glob
import os
import shutil
import socket
import subprocess
import time

from . import settings
from .console import SetupError, info, step


def answering(host=None, port=None, timeout=1.0):
    try:
        with socket.create_connection((host or settings.pg_host(), port or settings.pg_port()), timeout):
            return True
    except OSError:
        return False


def _root_run(argv):
    """Run argv as root (we are root, or through sudo -n); None when impossible."""
    if os.geteuid() != 0:
        if not shutil.which("sudo"):
            return None
        argv = ["sudo", "-n", *argv]
    return subprocess.run(argv, capture_output=True, text=True, check=False)


def _start_debian_clusters():
    """Start the Debian clusters configured for our port; the ones tried, as "15 main"."""
    port = settings.pg_port()
    tried = []
    for conf in sorted(glob.glob("/etc/postgresql/*/*/postgresql.conf")):
        version, cluster = conf.split("/")[3:5]
        with open(conf) as handle:
            ports = [line.split("=")[1].split("#")[0].strip() for line in handle if line.strip().startswith("port")]
        if (int(ports[-1]) if ports else 5432) != port:
            continue
        _root_run(["pg_ctlcluster", "--skip-systemctl-redirect", version, cluster, "start"])
        tried.append(f"{version} {cluster}")
    return tried


def _install_debian_server():
    if not shutil.which("apt-get"):
        return
    info("Installing PostgreSQL from Debian packages (apt-get install postgresql)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    for argv in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "postgresql"]):
        if subprocess.run([*sudo, *argv], env=env, capture_output=True, check=False).returncode != 0:
            return


def ensure_server():
    """Use the server on PGHOST:PGPORT; start (or install) one where none answers."""
    host, port = settings.pg_host(), settings.pg_port()
    if answering():
        return
    step(f"PostgreSQL is not answering on {host}:{port}; starting it")
    tried = []
    if host in ("127.0.0.1", "localhost", "::1"):
        if not glob.glob("/usr/lib/postgresql/*/bin/postgres"):
            _install_debian_server()
        tried = _start_debian_clusters()
    deadline = time.monotonic() + (30 if tried else 0)
    while True:
        if answering():
            info(f"PostgreSQL is running on {host}:{port}")
            return
        if time.monotonic() >= deadline:
            break
        time.sleep(0.5)
    how = (
        f"`sudo pg_ctlcluster {tried[0]} start` did not bring it up"
        if tried
        else (f"no local PostgreSQL cluster is configured for port {port}")
    )
    raise SetupError(
        f"PostgreSQL is not running on {host}:{port} ({how}). Start your PostgreSQL server "
        "(Debian: `sudo pg_ctlcluster <version> main start`, or `sudo apt-get install postgresql`), "
        "or set PGHOST/PGPORT to a running one."
    )


def _env(user=None, password=None):
    env = dict(os.environ)
    env.update(PGHOST=settings.pg_host(), PGPORT=str(settings.pg_port()), PGUSER=user or settings.db_user())
    env["PGPASSWORD"] = password if password is not None else settings.db_password()
    env.pop("PGDATABASE", None)
    return env


def psql(sql, db="postgres", user=None, password=None, check=True):
    """Run one SQL statement as Odoo's role (or another); returns stdout stripped."""
    result = subprocess.run(
        ["psql", "-X", "-w", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", sql],
        env=_env(user, password),
        capture_output=True,
        text=True,
        check=False,
    )
    if check and result.returncode != 0:
        raise SetupError(f"PostgreSQL refused `{sql[:80]}`: {result.stderr.strip()}")
    return result.stdout.strip() if result.returncode == 0 else None


def _role_works():
    return psql("SELECT 1", check=False) == "1"


def _as_superuser(sql):
    """Run sql as a PostgreSQL superuser: `postgres` over TCP, else over the local socket."""
    if psql(sql, user="postgres", password="", check=False) is not None:
        return True
    for runner in (["runuser", "-u", "postgres", "--"], ["sudo", "-n", "-u", "postgres"]):
        if not shutil.which(runner[0]):
            continue
        result = subprocess.run(
            [*runner, "psql", "-X", "-q", "-p", str(settings.pg_port()), "-v", "ON_ERROR_STOP=1", "-c", sql],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode == 0:
            return True
    return False


def ensure_role():
    """Odoo's database role: login, password, may create databases and roles.

    CREATEROLE lets the addon create its read-only analytics role in development.
    """
    if _role_works():
        return
    user, password = settings.db_user(), settings.db_password()
    step(f"Creating the PostgreSQL role {user!r} for Odoo")
    options = f"LOGIN CREATEDB CREATEROLE PASSWORD {_literal(password)}"
    sql = (
        f"DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {_literal(user)}) THEN "
        f"CREATE ROLE {_ident(user)} {options}; ELSE ALTER ROLE {_ident(user)} {options}; END IF; END$$"
    )
    if not _as_superuser(sql) or not _role_works():
        raise SetupError(
            f"Cannot log in to PostgreSQL as {user!r} and cannot create that role. As a superuser run: "
            f"CREATE ROLE \"{user}\" LOGIN CREATEDB CREATEROLE PASSWORD '...'; then set SC_DB_USER/SC_DB_PASSWORD."
        )


def ensure():
    ensure_server()
    ensure_role()


def _literal(text):
    return "'" + str(text).replace("'", "''") + "'"


def _ident(name):
    return '"' + str(name).replace('"', '""') + '"'


def db_exists(name):
    return psql(f"SELECT 1 FROM pg_database WHERE datname = {_literal(name)}") == "1"


def db_comment(name):
    sql = f"SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = {_literal(name)}"
    return psql(sql) or ""


def set_db_comment(name, comment):
    psql(f"COMMENT ON DATABASE {_ident(name)} IS {_literal(comment)}")


def _terminate(name):
    psql(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        f"WHERE datname = {_literal(name)} AND pid <> pg_backend_pid()",
        check=False,
    )


def drop_db(name):
    if db_exists(name):
        _terminate(name)
        psql(f"DROP DATABASE IF EXISTS {_ident(name)}")


def create_db(name):
    psql(f"CREATE DATABASE {_ident(name)}")


def copy_db(template, name):
    """A full copy of template, made by PostgreSQL itself (createdb -T)."""
    drop_db(name)
    _terminate(template)
    psql(f"CREATE DATABASE {_ident(name)} WITH TEMPLATE {_ident(template)}")
