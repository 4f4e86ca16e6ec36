"""Ports, server processes and pid files.

Every process is started in its own session so that stopping it also stops its
workers, and is stopped only through the pid this module recorded for it.
"""

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from .console import SetupError, info, tail


def port_is_free(port, host="127.0.0.1"):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host="127.0.0.1"):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def pick_port(preferred, label, env_name):
    """The preferred port when free, else a free one, saying so in one line."""
    if port_is_free(preferred):
        return preferred
    nearby = (p for p in range(preferred + 1, min(preferred + 50, 65535)) if port_is_free(p))
    port = next(nearby, None) or free_port()
    info(f"Port {preferred} is taken; {label} uses port {port} instead (set {env_name} to choose).")
    return port


class Server:
    """A server process started by us, known by its pid file."""

    def __init__(self, name, pidfile, log):
        self.name = name
        self.pidfile = Path(pidfile)
        self.log = Path(log)
        self.popen = None

    def start(self, argv, env=None, cwd=None):
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self.pidfile.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as log:
            self.popen = subprocess.Popen(
                argv,
                env=env,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        record = {"pid": self.popen.pid, "started": _start_time(self.popen.pid)}
        self.pidfile.write_text(json.dumps(record))
        return self.popen.pid

    def running(self):
        pid = _read_pid(self.pidfile)
        return pid is not None and _alive(pid)

    def wait_http(self, url, timeout=120):
        """Wait until url answers 200; fail with the log's tail if the server died."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen is not None and self.popen.poll() is not None:
                raise SetupError(
                    f"{self.name} exited during start-up (code {self.popen.returncode}); "
                    f"see {self.log}:\n{tail(self.log)}"
                )
            if http_ok(url):
                return
            time.sleep(0.3)
        raise SetupError(f"{self.name} did not answer {url} within {timeout}s; see {self.log}")

    def stop(self, timeout=15):
        return stop_pidfile(self.pidfile, timeout=timeout)

    def pause(self):
        """Freeze the server's process group (SIGSTOP): its port stays open and the kernel
        still accepts connections, but nothing answers, as with a hung server."""
        self._signal_ours(signal.SIGSTOP)

    def resume(self):
        self._signal_ours(signal.SIGCONT)

    def _signal_ours(self, sig):
        pid = _read_pid(self.pidfile)
        if pid is None or not _alive(pid) or not _is_ours(pid, self.pidfile):
            raise SetupError(f"{self.name} is not running (no live process in {self.pidfile})")
        _signal_group(pid, sig)


def http_ok(url, timeout=2):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (loopback URL we built)
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _read_pid(pidfile):
    try:
        return int(json.loads(Path(pidfile).read_text())["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours is not running any more.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(") ", 1)[1][0] != "Z"
    except OSError:
        return True


def _start_time(pid):
    """Kernel start time of a process (clock ticks since boot): a pid plus this is unique."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return int(stat.read().rsplit(") ", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def _is_ours(pid, pidfile):
    """Guard against a recycled pid: it must be the very process we started."""
    try:
        recorded = json.loads(Path(pidfile).read_text()).get("started")
    except (OSError, ValueError):
        return False
    return recorded is not None and recorded == _start_time(pid)


def stop_pidfile(pidfile, timeout=15):
    """Stop the process group recorded in pidfile. Returns True if something was stopped."""
    pid = _read_pid(pidfile)
    stopped = False
    if pid is not None and _alive(pid) and _is_ours(pid, pidfile):
        _signal_group(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _alive(pid) and time.monotonic() < deadline:
            _reap(pid)
            time.sleep(0.1)
        if _alive(pid):
            _signal_group(pid, signal.SIGKILL)
        _reap(pid)
        stopped = True
    Path(pidfile).unlink(missing_ok=True)
    return stopped


def _signal_group(pid, sig):
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)


def _reap(pid):
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def run(argv, log, env=None, cwd=None, what=None, timeout=None):
    """Run a command to completion, output to log; one clear error when it fails."""
    Path(log).parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as handle:
        handle.write(f"\n$ {' '.join(map(str, argv))}\n".encode())
        handle.flush()
        try:
            result = subprocess.run(
                argv,
                env=env,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=handle,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise SetupError(f"{what or argv[0]} took more than {timeout}s; see {log}") from exc
    if result.returncode != 0:
        raise SetupError(f"{what or argv[0]} failed (exit {result.returncode}); see {log}:\n{tail(log)}")
