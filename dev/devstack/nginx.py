"""nginx in front of Odoo's prefork workers, as Odoo's deployment guide has it.

With --workers, Odoo's HTTP workers cannot hold a websocket: /websocket must reach the
gevent process on its own port, everything else the HTTP port. nginx (Debian's, installed
when missing) listens on the public port and splits the two; its prefix, pid file, logs
and temporary files live in our folder, so it runs beside a system nginx and as root
without touching /etc/nginx.
"""

import shutil
from pathlib import Path

from . import debian
from .procs import Server

BINARY = {"/usr/sbin/nginx": "nginx"}

CONFIG = """\
daemon off;
worker_processes 1;
pid {folder}/nginx.pid.internal;
error_log {folder}/logs/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log {folder}/logs/access.log;
    client_body_temp_path {folder}/tmp/body;
    proxy_temp_path {folder}/tmp/proxy;
    fastcgi_temp_path {folder}/tmp/fastcgi;
    uwsgi_temp_path {folder}/tmp/uwsgi;
    scgi_temp_path {folder}/tmp/scgi;
    client_max_body_size 64m;
    # nginx's workers run as another OS user, who may not reach our folder (a clone in a
    # private one): keep bodies and responses in memory, never in temporary files.
    client_body_buffer_size 64m;
    proxy_max_temp_file_size 0;
    proxy_read_timeout 720s;
    proxy_connect_timeout 720s;
    proxy_send_timeout 720s;
    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ''      close;
    }}
    upstream odoo {{ server 127.0.0.1:{http_port}; }}
    upstream odoochat {{ server 127.0.0.1:{gevent_port}; }}
    server {{
        listen 127.0.0.1:{port};
        proxy_set_header X-Forwarded-Host $http_host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header X-Real-IP $remote_addr;
        location /websocket {{
            proxy_pass http://odoochat;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $http_host;
        }}
        location / {{
            proxy_pass http://odoo;
            proxy_set_header Host $http_host;
            proxy_redirect off;
        }}
    }}
}}
"""


class Proxy:
    """One nginx: the public port, and the Odoo ports behind it."""

    def __init__(self, folder, port, http_port, gevent_port, name="nginx"):
        self.folder = Path(folder)
        self.port = port
        self.http_port = http_port
        self.gevent_port = gevent_port
        self.server = Server(name, self.folder / "nginx.pid", self.folder / "logs" / "nginx.log")

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def write_config(self):
        for sub in ("logs", "tmp"):
            (self.folder / sub).mkdir(parents=True, exist_ok=True)
        path = self.folder / "nginx.conf"
        path.write_text(
            CONFIG.format(
                folder=self.folder.resolve(), port=self.port, http_port=self.http_port, gevent_port=self.gevent_port
            )
        )
        return path

    def start(self):
        debian.ensure(BINARY, "nginx in front of Odoo's workers (production profile)")
        config = self.write_config()
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        # -e: the early error log too, before the config's own error_log applies.
        self.server.start(
            [binary, "-p", str(self.folder), "-e", str(self.folder / "logs" / "error.log"), "-c", str(config)]
        )
        return self

    def stop(self):
        return self.server.stop()
