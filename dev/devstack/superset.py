"""Superset 6.1: configuration from the template, bootstrapped metadata, the server."""

import contextlib
import hashlib
import os
import secrets
import shutil
import string
from pathlib import Path

from . import postgres, settings
from .console import SetupError, info, step
from .procs import Server, run
from .venvs import cache_lock, python_of

TEMPLATE = settings.REPO / "dev" / "superset_config.py.tmpl"
BOOTSTRAP = settings.REPO / "dev" / "superset_bootstrap.py"
# Modules superset_config.py names (the async-query manager for guests).
PYTHONPATH = settings.REPO / "dev" / "superset_pythonpath"
GUEST_ROLE = "Odoo Embedded Guest"
GUEST_AUDIENCE = "superset_connector"


def odoo_origins(odoo_port):
    """The origins a browser may use for the local Odoo: both loopback spellings."""
    return [f"http://127.0.0.1:{odoo_port}", f"http://localhost:{odoo_port}"]


def postgres_uri(db):
    """SQLAlchemy URI of a metadata database on the stack's PostgreSQL, as Odoo's role."""
    return (
        f"postgresql+psycopg2://{settings.db_user()}:{settings.db_password()}"
        f"@{settings.pg_host()}:{settings.pg_port()}/{db}"
    )


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
    production=None,
    odoo_origins_extra=(),
):
    """Write superset_config.py from the template. The knobs exist for tests that
    need a misconfigured Superset (embedding off, framing forbidden) or one that caches
    chart data, as production ones do (in files under data_cache_dir). metadata is a
    SQLite file, or a SQLAlchemy URI (PostgreSQL); production, the production profile's
    values (Redis, prefix, async-queries secret), replaces the caches by Redis ones."""
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
        "metadata_uri": metadata if "://" in str(metadata) else f"sqlite:///{Path(metadata).resolve()}",
        "embedded": embedded,
        "guest_token_secret": guest_token_secret,
        "guest_token_audience": guest_token_audience,
        "guest_role": GUEST_ROLE,
        "frame_ancestors": ["'self'", *odoo_origins(odoo_port), *odoo_origins_extra] if allow_framing else ["'self'"],
        "frame_options": None if allow_framing else "SAMEORIGIN",
        "data_cache_config": data_cache,
        "production": production,
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
        PYTHONPATH=str(PYTHONPATH),
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
        _bootstrap(venv, config, work, f"superset-bootstrap-{Path(venv).name}.log")
        (work / "superset.db").rename(template)
        shutil.rmtree(work, ignore_errors=True)
        for older in folder.glob("metadata-template*.db"):
            if older != template:
                older.unlink()
    return template


METADATA_READY = "superset_connector Superset metadata ready"


def postgres_metadata_template(venv):
    """The production profile's metadata template: a PostgreSQL database with Superset's
    schema, roles, admin and guest role, built once per Superset venv and bootstrap
    script, like the SQLite one; each instance starts from a copy (CREATE DATABASE ...
    TEMPLATE, a second)."""
    bootstrap = hashlib.sha256(BOOTSTRAP.read_bytes()).hexdigest()[:8]
    name = f"sc_superset_meta_{Path(venv).name.rsplit('-', 1)[-1][:8]}_{bootstrap}"
    if postgres.db_exists(name) and postgres.db_comment(name) == METADATA_READY:
        return name
    with cache_lock("superset-metadata-postgres"):
        if postgres.db_exists(name) and postgres.db_comment(name) == METADATA_READY:
            return name
        step(f"Bootstrapping Superset's metadata in PostgreSQL ({name}; first run only)")
        postgres.drop_db(name)
        postgres.create_db(name)
        work = settings.cache_dir() / "superset" / Path(venv).name / "work-postgres"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        config = render_config(
            work / "superset_config.py",
            metadata=postgres_uri(name),
            odoo_port=8069,
            secret_key=secrets.token_urlsafe(32),
            guest_token_secret=secrets.token_urlsafe(32),
        )
        _bootstrap(venv, config, work, f"superset-bootstrap-postgres-{Path(venv).name}.log")
        postgres.set_db_comment(name, METADATA_READY)
        shutil.rmtree(work, ignore_errors=True)
        older = postgres.psql("SELECT datname FROM pg_database WHERE starts_with(datname, 'sc_superset_meta_')")
        for stale in set(older.split()) - {name}:
            postgres.drop_db(stale)
    return name


def _bootstrap(venv, config, home, log_name):
    """db upgrade, init, the admin user and guest role: what a new metadata database needs."""
    env = _env(venv, config, home)
    log = settings.cache_dir() / "logs" / log_name
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
        self.server.start(self._gunicorn_argv(venv), env=_env(venv, config, self.folder), cwd=self.folder)
        return self

    def _gunicorn_argv(self, venv):
        return [
            str(Path(venv) / "bin" / "gunicorn"),
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


class ProductionInstance(Instance):
    """Superset as production runs it: metadata in PostgreSQL (a copy of the bootstrapped
    template), several gunicorn workers, every cache in Redis, a Celery worker and beat on
    Redis, async queries on. The processes: gunicorn (its workers in its group), the
    Celery worker, Celery beat; each with its pid file in the folder."""

    def __init__(self, folder, port, odoo_port, redis, metadata_db, name="Superset", workers=2, odoo_origins=()):
        super().__init__(folder, port, odoo_port, name=name)
        self.redis = redis
        self.metadata_db = metadata_db
        self.workers = workers
        self.odoo_origins_extra = tuple(odoo_origins)
        logs = self.folder / "logs"
        self.celery_worker = Server(
            f"{name} Celery worker", self.folder / "celery-worker.pid", logs / "celery-worker.log"
        )
        self.celery_beat = Server(f"{name} Celery beat", self.folder / "celery-beat.pid", logs / "celery-beat.log")

    @property
    def metadata(self):
        return postgres_uri(self.metadata_db)

    @property
    def prefix(self):
        """This instance's Redis key prefix: the metadata database's name is unique."""
        return f"{self.metadata_db}:"

    def prepare(self, venv, **config_knobs):
        if not postgres.db_exists(self.metadata_db):
            postgres.copy_db(postgres_metadata_template(venv), self.metadata_db)
        production = {
            "redis_url": f"{self.redis.url}/0",
            "redis_host": self.redis.host,
            "redis_port": self.redis.port,
            "prefix": self.prefix,
            "async_jwt_secret": self._secret("async_queries_jwt_secret"),
        }
        return render_config(
            self.folder / "superset_config.py",
            metadata=self.metadata,
            odoo_port=self.odoo_port,
            secret_key=self._secret("secret_key"),
            guest_token_secret=self.guest_token_secret,
            production=production,
            odoo_origins_extra=self.odoo_origins_extra,
            **config_knobs,
        )

    def _gunicorn_argv(self, venv):
        argv = super()._gunicorn_argv(venv)
        argv[argv.index("--workers") + 1] = str(self.workers)
        return argv

    def launch(self, venv, **config_knobs):
        super().launch(venv, **config_knobs)
        env = _env(venv, self.folder / "superset_config.py", self.folder)
        celery = [str(Path(venv) / "bin" / "celery"), "--app=superset.tasks.celery_app:app"]
        # Without mingle and gossip (worker-to-worker chatter Superset does not use): on
        # reconnecting after a Redis restart, kombu 5.6's worker can die in mingle and hang
        # there (celery/kombu#2582; tests/production/test_redis_restart.py).
        self.celery_worker.start(
            [
                *celery,
                "worker",
                "--pool=prefork",
                "--concurrency=2",
                "-O",
                "fair",
                "--without-mingle",
                "--without-gossip",
                "--loglevel=INFO",
            ],
            env=env,
            cwd=self.folder,
        )
        self.celery_beat.start(
            [*celery, "beat", "--schedule", str(self.folder / "celerybeat-schedule"), "--loglevel=INFO"],
            env=env,
            cwd=self.folder,
        )
        return self

    def wait(self, timeout=180):
        super().wait(timeout)
        for process in (self.celery_worker, self.celery_beat):
            if not process.running():
                self.stop()
                raise SetupError(f"{process.name} exited during start-up; see {process.log}")
        return self

    def stop(self):
        stopped = [process.stop() for process in (self.celery_beat, self.celery_worker)]
        stopped.append(self.server.stop())
        return any(stopped)

    def drop(self):
        """Stopped, its metadata database dropped and its Redis keys deleted."""
        self.stop()
        postgres.drop_db(self.metadata_db)
        deleted = self.redis.forget(self.prefix)
        info(f"{self.server.name}: metadata database {self.metadata_db} dropped, {deleted} Redis keys deleted")
