"""Redis for the production profile: the server on 127.0.0.1:6379 when it answers, else
one of ours (Debian's redis-server, installed when missing) on a free port.

Several Superset instances share one server: each one's keys carry its own prefix (caches,
async-query streams, Celery's queues), so neither reads the other's tasks, and `forget`
removes an instance's keys when it stops. A server we started keeps nothing on disk.
"""

import contextlib
import shutil
import socket
import time
from pathlib import Path

from . import debian
from .console import SetupError, info, step
from .procs import Server, free_port

DEFAULT_PORT = 6379
SERVER_BINARY = {"/usr/bin/redis-server": "redis-server"}


def command(host, port, *args, timeout=2.0):
    """One Redis command over RESP; its reply decoded (str, int, list or None).
    The standard library is enough for the few commands the stack needs."""
    with socket.create_connection((host, port), timeout) as sock:
        parts = [f"*{len(args)}\r\n".encode()]
        for arg in args:
            data = str(arg).encode()
            parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
        sock.sendall(b"".join(parts))
        return _reply(sock.makefile("rb"))


def _reply(stream):
    line = stream.readline()
    if not line:
        raise OSError("Redis closed the connection")
    kind, rest = line[:1], line[1:-2]
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        raise OSError(f"Redis error: {rest.decode()}")
    if kind == b":":
        return int(rest)
    if kind == b"$":
        size = int(rest)
        return None if size < 0 else stream.read(size + 2)[:-2].decode(errors="replace")
    if kind == b"*":
        size = int(rest)
        return None if size < 0 else [_reply(stream) for _ in range(size)]
    raise OSError(f"unexpected Redis reply {line!r}")


def answers(host, port):
    try:
        return command(host, port, "PING", timeout=1.0) == "PONG"
    except OSError:
        return False


class Redis:
    """Where Redis is, and the server process when it is one of ours."""

    def __init__(self, host, port, server=None):
        self.host = host
        self.port = port
        self.server = server  # None: a server we found running, not ours to stop

    @property
    def url(self):
        return f"redis://{self.host}:{self.port}"

    @property
    def ours(self):
        return self.server is not None

    def forget(self, prefix):
        """Delete every key of one instance (SCAN, not KEYS: never blocks the server)."""
        if not answers(self.host, self.port):
            return 0
        cursor, deleted = "0", 0
        while True:
            cursor, keys = command(self.host, self.port, "SCAN", cursor, "MATCH", f"{prefix}*", "COUNT", 500)
            if keys:
                deleted += command(self.host, self.port, "DEL", *keys)
            if cursor == "0":
                return deleted

    def stop(self):
        return self.server.stop() if self.server else False

    def restart(self, down_seconds=0.0):
        """Our server stopped, then started again on the same port (a Redis restart as an
        operator would cause one: everything it held is gone)."""
        with self.down():
            time.sleep(down_seconds)

    @contextlib.contextmanager
    def down(self):
        """Our server stopped for the block, then started again, empty, on the same port."""
        if not self.server:
            raise SetupError(f"Redis on {self.host}:{self.port} was not started by the stack; not restarting it.")
        self.server.stop()
        try:
            yield self
        finally:
            _launch(self.server, self.port)
            _wait(self.host, self.port, self.server)


def start_server(folder, port=None):
    """A Redis server of our own, in folder, on port (a free one by default)."""
    debian.ensure(SERVER_BINARY, "Redis for the production profile")
    folder = Path(folder)
    server = Server("Redis", folder / "redis.pid", folder / "logs" / "redis.log")
    port = port or free_port()
    _launch(server, port)
    _wait("127.0.0.1", port, server)
    return Redis("127.0.0.1", port, server)


def _launch(server, port):
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    # Nothing on disk (no RDB, no AOF): a restart loses everything, as the fault tests want.
    server.start(
        [
            binary,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
        ]
    )


def _wait(host, port, server, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if answers(host, port):
            return
        if not server.running():
            break
        time.sleep(0.1)
    server.stop()
    raise SetupError(f"Redis did not start on {host}:{port}; see {server.log}")


def ensure(folder, host="127.0.0.1", port=DEFAULT_PORT):
    """The Redis on host:port when it answers; else one of ours in folder."""
    if answers(host, port):
        info(f"Redis answers on {host}:{port}; using it")
        return Redis(host, port)
    step(f"Redis is not answering on {host}:{port}; starting Debian's redis-server")
    return start_server(folder)
