"""Superset 6.1: configuration from the template, bootstrapped metadata, the server."""

import contextlib
import hashlib
import os
import secrets
import shutil
import string
from pathlib import Path

from . import settings
from .console import SetupError, step
from .procs import Server, run
from .venvs import cache_lock, python_of

TEMPLATE = settings.REPO / "dev" / "superset_config.py.tmpl"
BOOTSTRAP = settings.REPO / "dev" / "superset_bootstrap.py"
GUEST_ROLE = "Odoo Embedded Guest"
GUEST_AUDIENCE = "superset_connector"


def odoo_origins(odoo_port):
    """The origins a browser may use for the local Odoo: both loopback spellings."""
    return [f"http://127.0.0.1:{odoo_port}", f"http://localhost:{odoo_port}"]


def render_config(
    path,
    *,
    metadata,
    odoo_port,
    secret_key,
    guest_token_secret,
    guest_token_audience=GUEST_AUDIENCE,
    embedded=True,
    allow_framing=True,
    data_cache_dir=None,
):
    """Write superset_config.py from the template. The knobs exist for tests that
    need a misconfigured Superset (embedding off, framing forbidden) or one that caches
    chart data, as production ones do (in files under data_cache_dir)."""
    data_cache = (
        {
            "CACHE_TYPE": "FileSystemCache",
            "CACHE_DIR": str(Path(data_cache_dir).resolve()),
            "CACHE_DEFAULT_TIMEOUT": 86400,
            # No limit: past its default 500 files this store deletes a third of them,
            # which a cache such as Redis does not do.
            "CACHE_THRESHOLD": 0,
        }
        if data_cache_dir
        else {"CACHE_TYPE": "NullCache"}
    )
    values = {
        "secret_key": secret_key,
        "metadata_uri": f"sqlite:///{Path(metadata).resolve()}",
        "embedded": embedded,
        "guest_token_secret": guest_token_secret,
        "guest_token_audience": guest_token_audience,
        "guest_role": GUEST_ROLE,
        "frame_ancestors": ["'self'", *odoo_origins(odoo_port)] if allow_framing else ["'self'"],
        "frame_options": None if allow_framing else "SAMEORIGIN",
        "data_cache_config": data_cache,
    }
    text = string.Template(TEMPLATE.read_text()).substitute({k: repr(v) for k, v in values.items()})
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _env(venv, config_path, home):
    env = dict(os.environ)
    env.update(
        SUPERSET_CONFIG_PATH=str(config_path),
        SUPERSET_HOME=str(home),
        FLASK_APP="superset",
        PATH=f"{Path(venv) / 'bin'}:{env.get('PATH', '')}",
    )
    return env


def metadata_template(venv):
    """A metadata database with Superset's schema, roles, admin and guest role.

    Built once per Superset venv and bootstrap script (a changed role or permission
    needs a new one); each instance starts from a copy (seconds, not a minute).
    """
    folder = settings.cache_dir() / "superset" / Path(venv).name
    bootstrap = hashlib.sha256(BOOTSTRAP.read_bytes()).hexdigest()[:12]
    template = folder / f"metadata-template-{bootstrap}.db"
    if template.exists():
        return template
    with cache_lock("superset-metadata"):
        if template.exists():
            return template
        step("Bootstrapping Superset's metadata (db upgrade, admin user, init; first run only)")
        work = folder / "work"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        config = render_config(
            work / "superset_config.py",
            metadata=work / "superset.db",
            odoo_port=8069,
            secret_key=secrets.token_urlsafe(32),
            guest_token_secret=secrets.token_urlsafe(32),
        )
        env = _env(venv, config, work)
        log = settings.cache_dir() / "logs" / f"superset-bootstrap-{Path(venv).name}.log"
        log.unlink(missing_ok=True)
        superset = str(Path(venv) / "bin" / "superset")
        run([superset, "db", "upgrade"], log, env=env, what="superset db upgrade")
        run([superset, "init"], log, env=env, what="superset init")
        user, password = settings.superset_admin()
        run(
            [python_of(venv), str(BOOTSTRAP), user, password, GUEST_ROLE],
            log,
            env=env,
            what="creating Superset's admin user and guest role",
        )
        (work / "superset.db").rename(template)
        shutil.rmtree(work, ignore_errors=True)
        for older in folder.glob("metadata-template*.db"):
            if older != template:
                older.unlink()
    return template


class Instance:
    """One Superset server: a folder with its config, metadata copy, log and pid file."""

    def __init__(self, folder, port, odoo_port, name="Superset", data_cache=False):
        """data_cache: chart data cached in the instance's folder, at every start (emptied
        each time)."""
        self.folder = Path(folder)
        self.port = port
        self.odoo_port = odoo_port
        self.data_cache = data_cache
        self.server = Server(name, self.folder / "superset.pid", self.folder / "logs" / "superset.log")

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def metadata(self):
        return self.folder / "superset.db"

    def _secret(self, name):
        """Secrets kept with the instance, so a restarted demo keeps its sessions and keys."""
        path = self.folder / f".{name}"
        if not path.exists():
            self.folder.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(32))
            path.chmod(0o600)
        return path.read_text().strip()

    @property
    def guest_token_secret(self):
        return self._secret("guest_token_secret")

    def prepare(self, venv, **config_knobs):
        """Copy the bootstrapped metadata (first time) and write the config."""
        if not self.metadata.exists():
            self.folder.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(metadata_template(venv), self.metadata)
        cache_dir = self.folder / "data-cache"
        shutil.rmtree(cache_dir, ignore_errors=True)
        return render_config(
            self.folder / "superset_config.py",
            metadata=self.metadata,
            odoo_port=self.odoo_port,
            secret_key=self._secret("secret_key"),
            guest_token_secret=self.guest_token_secret,
            data_cache_dir=cache_dir if self.data_cache else None,
            **config_knobs,
        )

    def launch(self, venv, **config_knobs):
        """Start the server process without waiting for it (see wait)."""
        config = self.prepare(venv, **config_knobs)
        gunicorn = str(Path(venv) / "bin" / "gunicorn")
        argv = [
            gunicorn,
            "--workers",
            "1",
            "--worker-class",
            "gthread",
            "--threads",
            "8",
            "--timeout",
            "120",
            "--graceful-timeout",
            "5",
            "--bind",
            f"127.0.0.1:{self.port}",
            "superset.app:create_app()",
        ]
        self.server.start(argv, env=_env(venv, config, self.folder), cwd=self.folder)
        return self

    def wait(self, timeout=180):
        try:
            self.server.wait_http(f"{self.url}/health", timeout=timeout)
        except SetupError:
            self.server.stop()
            raise
        return self

    def start(self, venv, timeout=180, **config_knobs):
        return self.launch(venv, **config_knobs).wait(timeout)

    def stop(self):
        return self.server.stop()

    @contextlib.contextmanager
    def paused(self):
        """The server frozen (SIGSTOP) for the block, then running again: hung, not down."""
        self.server.pause()
        try:
            yield self
        finally:
            self.server.resume()
