"""Odoo 18.0: its source, configuration files, template databases and the server."""

import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path

from . import postgres, settings
from .console import SetupError, info, step
from .procs import Server, run
from .venvs import cache_lock, python_of

TEMPLATE_READY = "superset_connector template ready"
# Addons that only tests install (an addon extending the analytics views, ...): on the
# addons path when TEST_ADDONS_ENV is set, as `make test` sets it for everything it runs.
TEST_ADDONS = settings.REPO / "tests" / "addons"
TEST_ADDONS_ENV = "SC_TEST_ADDONS"


# --- source --------------------------------------------------------------------------


def _is_odoo18(path):
    release = Path(path) / "odoo" / "release.py"
    if not (Path(path) / "odoo-bin").is_file() or not release.is_file():
        return False
    return re.search(r"^version_info = \(18, 0,", release.read_text(), re.M) is not None


def source():
    """ODOO_PATH when set, else the cache location, cloned from GitHub when missing."""
    explicit = os.environ.get("ODOO_PATH")
    if explicit:
        if not _is_odoo18(explicit):
            raise SetupError(f"ODOO_PATH={explicit} does not hold the Odoo 18.0 source (odoo-bin, odoo/release.py).")
        return Path(explicit).resolve()
    path = settings.default_odoo_path()
    if _is_odoo18(path):
        return path
    with cache_lock("odoo-source"):
        if _is_odoo18(path):
            return path
        url = settings.odoo_git_url()
        step(f"Odoo 18.0 source not found in {path}; cloning {url} (shallow, branch 18.0)")
        partial = path.with_name(path.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.parent.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            ["git", "clone", "--quiet", "--depth", "1", "--branch", "18.0", url, str(partial)],
            capture_output=True,
            text=True,
            check=False,
            timeout=3600,
            env=dict(os.environ, GIT_TERMINAL_PROMPT="0"),
        )
        if result.returncode != 0 or not _is_odoo18(partial):
            shutil.rmtree(partial, ignore_errors=True)
            reason = (result.stderr.strip().splitlines() or ["no Odoo 18.0 in the clone"])[-1]
            raise SetupError(
                f"Odoo 18.0 source is missing and cloning it failed ({reason}). "
                f"Put the Odoo 18.0 source in {path} or set ODOO_PATH to it."
            )
        if path.exists():
            shutil.rmtree(path)
        partial.rename(path)
    return path


def odoo_addons_paths(odoo_path):
    """Odoo's own addons folders."""
    odoo_path = Path(odoo_path)
    paths = [odoo_path / "odoo" / "addons"]
    # A git clone keeps most apps in addons/; a packaged tree merges them into odoo/addons.
    if (odoo_path / "addons" / "web").is_dir() and not (odoo_path / "odoo" / "addons" / "web").is_dir():
        paths.append(odoo_path / "addons")
    return paths


def addons_paths(odoo_path, test_addons=None):
    """Odoo's addons folders plus this repository (which holds superset_connector), and
    the tests' addons with test_addons (by default: when TEST_ADDONS_ENV is set)."""
    paths = [*odoo_addons_paths(odoo_path), settings.REPO]
    if os.environ.get(TEST_ADDONS_ENV) if test_addons is None else test_addons:
        paths.append(TEST_ADDONS)
    return paths


def source_fingerprint(odoo_path):
    """Changes when the Odoo source changes in a way that matters to a built database."""
    digest = hashlib.sha256()
    head = Path(odoo_path) / ".git" / "HEAD"
    if head.exists():
        rev = subprocess.run(
            ["git", "-C", str(odoo_path), "rev-parse", "HEAD"], capture_output=True, text=True, check=False
        )
        digest.update(rev.stdout.encode())
    for addons in odoo_addons_paths(odoo_path):
        for manifest in sorted(Path(addons).glob("*/__manifest__.py")):
            digest.update(manifest.read_bytes())
    return digest.hexdigest()[:10]


# --- configuration --------------------------------------------------------------------


def write_config(
    path, odoo_path, *, db=None, http_port=None, logfile=None, data_dir=None, extra=None, test_addons=None
):
    """An odoo.conf for this stack; every value comes from settings or the caller."""
    options = {
        "addons_path": ",".join(str(p) for p in addons_paths(odoo_path, test_addons)),
        "data_dir": str(data_dir or settings.cache_dir() / "odoo-data"),
        "db_host": settings.pg_host(),
        "db_port": settings.pg_port(),
        "db_user": settings.db_user(),
        "db_password": settings.db_password(),
        "http_interface": "127.0.0.1",
        "list_db": "False",
        "max_cron_threads": 0,
        "without_demo": "all",
    }
    if db:
        options.update(db_name=db, dbfilter=f"^{db}$")
    if http_port:
        options["http_port"] = http_port
    if logfile:
        options["logfile"] = str(logfile)
    options.update(extra or {})
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("[options]\n" + "".join(f"{key} = {value}\n" for key, value in options.items()))
    return path


def odoo_bin(venv, odoo_path):
    return [python_of(venv), str(Path(odoo_path) / "odoo-bin")]


def odoo_env(odoo_path):
    env = dict(os.environ, PYTHONPATH=str(odoo_path))
    env.pop("ODOO_RC", None)
    return env


def run_odoo(venv, odoo_path, config, args, log, what, timeout=3600):
    run(
        [*odoo_bin(venv, odoo_path), "-c", str(config), *args], log, env=odoo_env(odoo_path), what=what, timeout=timeout
    )


def install(stack, template, db, log, module="superset_connector"):
    """A copy of template with module (or "a,b") installed by odoo-bin (pytest-odoo does not install)."""
    copy_db(template, db)
    config = write_config(Path(log).with_suffix(".conf"), stack.odoo_path, db=db)
    run_odoo(
        stack.odoo_venv,
        stack.odoo_path,
        config,
        ["-i", module, "--stop-after-init"],
        log,
        what=f"installing {module} into {db}",
    )


def filestore(db):
    return settings.cache_dir() / "odoo-data" / "filestore" / db


def copy_db(template, name):
    """Database and filestore: attachments (e.g. company logos) live in the filestore."""
    postgres.copy_db(template, name)
    shutil.rmtree(filestore(name), ignore_errors=True)
    if filestore(template).is_dir():
        shutil.copytree(filestore(template), filestore(name))


def drop_db(name):
    postgres.drop_db(name)
    shutil.rmtree(filestore(name), ignore_errors=True)


# --- template databases ---------------------------------------------------------------


def _template_ready(name):
    """Built to the end, and its filestore (attachments) is in this cache."""
    return postgres.db_exists(name) and postgres.db_comment(name) == TEMPLATE_READY and filestore(name).is_dir()


def ensure_template(venv, odoo_path, kind):
    """A database with Odoo's apps installed once; runs copy it in under a second."""
    modules = settings.BASE_APPS if kind == "base" else settings.BASE_APPS + settings.BUSINESS_APPS
    key = hashlib.sha256(f"{source_fingerprint(odoo_path)}|{','.join(modules)}".encode()).hexdigest()[:10]
    name = f"sc_template_{kind}_{key}"
    if _template_ready(name):
        return name
    with cache_lock(f"template-{kind}"):
        if _template_ready(name):
            return name
        step(f"Building the Odoo template database {name} ({', '.join(modules)}; first run only)")
        drop_db(name)
        work = settings.cache_dir() / "work"
        # Shared with `make demo`: without the tests' addons.
        config = write_config(work / f"{name}.conf", odoo_path, db=name, test_addons=False)
        log = settings.cache_dir() / "logs" / f"{name}.log"
        log.unlink(missing_ok=True)
        run_odoo(
            venv,
            odoo_path,
            config,
            ["-d", name, "-i", ",".join(modules), "--stop-after-init"],
            log,
            what=f"installing {', '.join(modules)} into {name}",
        )
        postgres.set_db_comment(name, TEMPLATE_READY)
        info(f"template {name} ready")
    return name


# --- server ---------------------------------------------------------------------------


def server(run_dir, name="Odoo"):
    return Server(name, Path(run_dir) / "odoo.pid", Path(run_dir) / "logs" / "odoo.log")


def start(venv, odoo_path, db, port, run_dir, extra_args=(), env=None, options=None, url=None):
    """Start an Odoo HTTP server on 127.0.0.1:port for one database. options: more
    odoo.conf values (workers, gevent_port, ...); url: where it is reached when a proxy
    stands in front (waited for too)."""
    srv = server(run_dir)
    config = write_config(Path(run_dir) / "odoo.conf", odoo_path, db=db, http_port=port, extra=options)
    srv.start([*odoo_bin(venv, odoo_path), "-c", str(config), *extra_args], env=env or odoo_env(odoo_path))
    base = url or f"http://127.0.0.1:{port}"
    srv.wait_http(f"{base}/web/login", timeout=180)
    # The first static file request reads every manifest; let it happen alone, before a
    # browser asks for many files at once (CPython 3.11's parser is not thread-safe then).
    srv.wait_http(f"{base}/web/static/img/favicon.ico", timeout=60)
    return srv
