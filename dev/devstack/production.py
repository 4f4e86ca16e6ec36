"""The production profile: the parts that make the local stack run as production does.

- Odoo with prefork workers and its gevent (websocket) process, behind nginx;
- Superset with several gunicorn workers, metadata in PostgreSQL, caches in Redis, a
  Celery worker and beat, async queries (superset.ProductionInstance);
- Redis (redis.py) and a streaming-replication standby of PostgreSQL (replica.py).

`make demo PROFILE=production` and the tests of tests/production/ compose these.
"""

from pathlib import Path

from . import nginx, odoo
from .procs import free_port

PROFILES = ("default", "production")


class OdooWorkers:
    """Odoo in prefork mode (workers, cron thread, gevent process) behind nginx on the
    public port: what a browser and RPC clients talk to."""

    def __init__(self, folder, port, workers=2, name="Odoo", options=None):
        self.folder = Path(folder)
        self.port = port
        self.workers = workers
        self.extra_options = dict(options or {})
        self.http_port = free_port()
        self.gevent_port = free_port()
        self.proxy = nginx.Proxy(self.folder / "nginx", port, self.http_port, self.gevent_port)
        self.server = odoo.server(self.folder, name=name)

    @property
    def url(self):
        return self.proxy.url

    def options(self):
        return {
            "workers": self.workers,
            "gevent_port": self.gevent_port,
            "max_cron_threads": 1,
            # Behind nginx: the client's address and scheme come from X-Forwarded-*.
            "proxy_mode": "True",
            **self.extra_options,
        }

    def start(self, venv, odoo_path, db, extra_args=()):
        self.proxy.start()
        try:
            self.server = odoo.start(
                venv, odoo_path, db, self.http_port, self.folder, extra_args, options=self.options(), url=self.url
            )
            # The gevent process starts a few seconds after the HTTP workers.
            self.server.wait_http(f"http://127.0.0.1:{self.gevent_port}/web/health", timeout=60)
        except Exception:
            self.proxy.stop()
            raise
        return self

    def running(self):
        return self.server.running() and self.proxy.server.running()

    def stop(self):
        stopped = self.server.stop()
        return self.proxy.stop() or stopped
