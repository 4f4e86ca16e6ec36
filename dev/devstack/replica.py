"""A PostgreSQL physical standby of the stack's primary, for analytics on a read replica.

A second cluster on a free port, made by `pg_basebackup -R -X stream` from the primary
(settings.pg_host()/pg_port()) and streaming from it through a physical replication slot.
Debian keeps postgresql.conf and pg_hba.conf outside the data directory, so the base
backup has none: the standby gets its own minimal ones, written at every start. Its
postgres runs as the OS user `postgres` when we are root (postgres refuses to run as
root) and is started through procs.Server, so `stop` stops only what `start` started.

What it changes on the primary, each said in one step line: a `host replication` line in
its pg_hba.conf when no rule lets 127.0.0.1 replicate (and a reload), and replication
slots named SLOT_PREFIX<port>: its own, and orphaned ones of earlier standbys dropped
(an inactive slot keeps WAL on the primary forever).
"""

import contextlib
import hashlib
import ipaddress
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from . import settings
from .console import SetupError, info, step, tail, warn
from .procs import Server, run

SLOT_PREFIX = "sc_standby_"
SLOT_NAME = re.compile(rf"^{SLOT_PREFIX}[a-z0-9_]+$")
HBA_LINE = "host replication all 127.0.0.1/32 trust"
SUPERUSER = "postgres"
# A hot standby refuses to start unless these are at least its primary's values.
MATCHED_SETTINGS = (
    "max_connections",
    "max_worker_processes",
    "max_wal_senders",
    "max_prepared_transactions",
    "max_locks_per_transaction",
)
# Connection types that an unencrypted / an SSL TCP connection from 127.0.0.1 matches.
_HOST_TYPES = {False: {"host", "hostnossl"}, True: {"host", "hostssl"}}
_SOCKET_PATH_MAX = 100  # sun_path is 108 bytes, minus "/.s.PGSQL.<port>"
_BASE_BACKUP_TIMEOUT = 1800


# --- pure helpers ---------------------------------------------------------------------------


def parse_lsn(text):
    """A WAL position as PostgreSQL prints it ("16/B374D848") as an integer."""
    high, sep, low = str(text or "").strip().partition("/")
    if not sep:
        raise ValueError(f"not a WAL position: {text!r}")
    return (int(high, 16) << 32) | int(low, 16)


def slot_name(port):
    return f"{SLOT_PREFIX}{int(port)}"


def stale_slots(slots, keep=None):
    """Names of our standbys' physical slots that no standby uses now, except keep.

    slots: (name, slot_type, active) rows of pg_replication_slots."""
    return sorted(
        name
        for name, slot_type, active in slots
        if name.startswith(SLOT_PREFIX) and slot_type == "physical" and not active and name != keep
    )


def _address_matches(address, netmask, client):
    if address in ("all", "samehost", "samenet"):
        return True  # the loopback address is this host's and on its own network
    try:
        network = ipaddress.ip_network(f"{address}/{netmask}" if netmask else address, strict=False)
    except ValueError:
        return False  # a host name: PostgreSQL resolves it; we cannot tell, so no
    return ipaddress.ip_address(client) in network


def first_replication_rule(rules, client="127.0.0.1", user=SUPERUSER, ssl=False):
    """The pg_hba rule a physical replication connection from client as user gets
    (PostgreSQL takes the first matching line), or None.

    rules: dicts of pg_hba_file_rules (line_number, type, database, user_name, address,
    netmask, auth_method, error). `all` in the database column does not match
    replication connections; only the `replication` keyword does.
    """
    for rule in sorted(rules, key=lambda r: r["line_number"]):
        if rule.get("error") or rule["type"] not in _HOST_TYPES[bool(ssl)]:
            continue
        if "replication" not in (rule["database"] or []):
            continue
        if not {"all", user} & set(rule["user_name"] or []):
            continue
        if _address_matches(rule["address"], rule["netmask"], client):
            return rule
    return None


def hba_problem(rule, hba_file):
    """None when this rule lets the standby replicate without a password; else why not."""
    if rule is None or rule["auth_method"] == "trust":
        return None
    return (
        f"line {rule['line_number']} of {hba_file} gives replication connections from 127.0.0.1 "
        f"`{rule['auth_method']}` authentication, and the local standby connects without a password. "
        f"Put `{HBA_LINE}` before that line and reload PostgreSQL (SELECT pg_reload_conf())."
    )


def wal_problems(values):
    """What keeps the primary from feeding a standby, from its SHOW values."""
    problems = []
    if values.get("wal_level") not in ("replica", "logical"):
        problems.append(f"wal_level is {values.get('wal_level')!r} (needs replica)")
    if int(values.get("max_wal_senders") or 0) < 3:
        problems.append(f"max_wal_senders is {values.get('max_wal_senders')} (needs at least 3; 10 is the default)")
    if int(values.get("max_replication_slots") or 0) < 1:
        problems.append("max_replication_slots is 0 (needs at least 1; 10 is the default)")
    return problems


def base_backup_reason(data_dir_ok, local_sysid, primary_sysid, slot_exists):
    """Why the standby needs a fresh base backup, or None when its data directory can go on.

    A standby can only go on streaming from the primary it was copied from, and only while
    its slot kept the WAL it has not received yet: `stop` drops the slot, so a stopped
    standby starts from a fresh copy."""
    if not data_dir_ok:
        return "first start"
    if local_sysid != primary_sysid:
        return "the primary is not the cluster it was copied from"
    if not slot_exists:
        return "its replication slot is gone, so the primary may have recycled WAL it needs"
    return None


def _conf_value(value):
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def standby_conf(port, data_dir, socket_dir, matched):
    """postgresql.conf of the standby; matched: MATCHED_SETTINGS values of the primary."""
    values = {
        "port": int(port),
        "listen_addresses": "127.0.0.1",
        "unix_socket_directories": str(socket_dir),
        "hba_file": str(Path(data_dir) / "pg_hba.conf"),
        "ident_file": str(Path(data_dir) / "pg_ident.conf"),
        "hot_standby": "on",
        # Long analytics queries are not cancelled by the primary's vacuum.
        "hot_standby_feedback": "on",
        "shared_buffers": "64MB",
        "ssl": "off",
        "logging_collector": "off",
        "log_line_prefix": "%m [%p] ",
        **{key: int(matched[key]) for key in MATCHED_SETTINGS},
    }
    lines = ["# Written by dev/devstack/replica.py at each start of the standby; edits are lost."]
    lines += [f"{key} = {_conf_value(value)}" for key, value in values.items()]
    return "\n".join(lines) + "\n"


def standby_hba():
    """pg_hba.conf of the standby: the primary's rules on this machine (trust locally)."""
    return (
        "# Written by dev/devstack/replica.py: trust on the socket and on 127.0.0.1, as the primary.\n"
        "local all all trust\n"
        "host all all 127.0.0.1/32 trust\n"
        "local replication all trust\n"
        f"{HBA_LINE}\n"
    )


# --- running things -------------------------------------------------------------------------


def _as_postgres():
    """The prefix running a command as the OS user postgres (we are root), else nothing."""
    return ["runuser", "-u", SUPERUSER, "--"] if os.geteuid() == 0 else []


def _psql(sql, host, port, db="postgres", user=SUPERUSER, check=True, as_os_user=False):
    """One statement as a PostgreSQL user over TCP (or, as_os_user, as the OS user postgres
    over the default socket); stdout, or None when it failed and check is off."""
    argv = ["psql", "-X", "-w", "-q", "-t", "-A", "-F", "|", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", sql]
    argv += ["-p", str(port)] if as_os_user else ["-h", host, "-p", str(port), "-U", user]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    result = subprocess.run(
        [*_as_postgres(), *argv] if as_os_user else argv,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    if result.returncode != 0:
        if check:
            raise SetupError(f"PostgreSQL on {host}:{port} refused `{sql[:80]}`: {result.stderr.strip()}")
        return None
    return result.stdout.strip()


class _Primary:
    """The stack's PostgreSQL as a superuser sees it."""

    def __init__(self):
        host = settings.pg_host()
        self.host = "127.0.0.1" if host == "localhost" else host
        self.port = settings.pg_port()
        self.local = self.host in ("127.0.0.1", "::1")
        self._socket = False
        if _psql("SELECT 1", self.host, self.port, check=False) != "1":
            if self.local and _psql("SELECT 1", self.host, self.port, check=False, as_os_user=True) == "1":
                self._socket = True
            else:
                raise SetupError(
                    f"Cannot connect to PostgreSQL on {self.host}:{self.port} as its superuser {SUPERUSER!r}: "
                    "a standby is copied and fed by a superuser's replication connection. Let "
                    f"{SUPERUSER!r} log in from 127.0.0.1 (pg_hba.conf: host all {SUPERUSER} 127.0.0.1/32 trust)."
                )

    def sql(self, statement):
        return _psql(statement, self.host, self.port, as_os_user=self._socket)

    def rows(self, statement):
        out = self.sql(statement)
        return [line.split("|") for line in out.splitlines()] if out else []

    def show(self, *names):
        return {name: self.sql(f"SHOW {name}") for name in names}

    def major_version(self):
        return int(self.sql("SHOW server_version_num")) // 10000

    def system_identifier(self):
        return self.sql("SELECT system_identifier FROM pg_control_system()")

    def slots(self):
        return [
            (name, kind, active == "t")
            for name, kind, active in self.rows("SELECT slot_name, slot_type, active FROM pg_replication_slots")
        ]

    def drop_slot(self, name):
        if not SLOT_NAME.match(name):
            raise SetupError(f"not a standby slot name: {name!r}")
        if any(slot[0] == name for slot in self.slots()):
            self.sql(f"SELECT pg_drop_replication_slot('{name}')")

    def current_lsn(self):
        return self.sql("SELECT pg_current_wal_lsn()")

    def hba_rules(self):
        columns = ("line_number", "type", "database", "user_name", "address", "netmask", "auth_method", "error")
        rules = []
        for row in self.rows(
            "SELECT line_number, type, array_to_string(database, ','), array_to_string(user_name, ','), "
            "coalesce(address, ''), coalesce(netmask, ''), coalesce(auth_method, ''), coalesce(error, '') "
            "FROM pg_hba_file_rules"
        ):
            rule = dict(zip(columns, row, strict=True))
            rule["line_number"] = int(rule["line_number"] or 0)
            rule["database"] = rule["database"].split(",") if rule["database"] else []
            rule["user_name"] = rule["user_name"].split(",") if rule["user_name"] else []
            rules.append(rule)
        return rules

    def replication_works(self):
        result = subprocess.run(
            [
                "psql",
                "-X",
                "-w",
                "-q",
                "-t",
                "-A",
                f"host={self.host} port={self.port} user={SUPERUSER} replication=true dbname=postgres",
                "-c",
                "IDENTIFY_SYSTEM",
            ],
            env={k: v for k, v in os.environ.items() if not k.startswith("PG")},
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
        return result.returncode == 0, result.stderr.strip()


def _append_as_root(path, line):
    """Append a line to a root-owned file: directly when root, else through sudo -n."""
    if os.geteuid() == 0:
        with open(path, "a") as handle:
            handle.write(f"\n# Added by superset_connector's dev/devstack (the local PostgreSQL standby)\n{line}\n")
        return True
    if shutil.which("sudo"):
        result = subprocess.run(
            ["sudo", "-n", "tee", "-a", str(path)],
            input=f"\n{line}\n",
            capture_output=True,
            text=True,
            check=False,
        )
        return result.returncode == 0
    return False


def ensure_primary_ready(primary):
    """WAL settings checked, and replication connections from 127.0.0.1 let in."""
    values = primary.show("wal_level", "max_wal_senders", "max_replication_slots", "config_file")
    problems = wal_problems(values)
    if problems:
        raise SetupError(
            f"PostgreSQL on {primary.host}:{primary.port} cannot feed a standby: {'; '.join(problems)}. "
            f"Set them in {values['config_file']} and restart it (Debian: sudo pg_ctlcluster <version> main restart)."
        )
    if primary.local:
        hba_file = primary.sql("SHOW hba_file")
        ssl = primary.sql("SHOW ssl") == "on"
        rule = first_replication_rule(primary.hba_rules(), ssl=ssl)
        problem = hba_problem(rule, hba_file)
        if problem:
            raise SetupError(f"The PostgreSQL standby cannot replicate: {problem}")
        if rule is None:
            step(f"Letting 127.0.0.1 replicate from PostgreSQL: adding `{HBA_LINE}` to {hba_file} and reloading")
            if not _append_as_root(hba_file, HBA_LINE):
                raise SetupError(
                    f"{hba_file} has no rule for replication connections from 127.0.0.1, and only root may add "
                    f"one. Add this line to it, then reload PostgreSQL (SELECT pg_reload_conf()): {HBA_LINE}"
                )
            primary.sql("SELECT pg_reload_conf()")
    # The reload is asynchronous: the next connections get the new rules a moment later.
    deadline = time.monotonic() + 15
    while True:
        works, error = primary.replication_works()
        if works:
            return
        if time.monotonic() > deadline:
            raise SetupError(
                f"PostgreSQL on {primary.host}:{primary.port} refuses replication connections from "
                f"{SUPERUSER!r}: {error}. Its pg_hba.conf needs `{HBA_LINE}`."
            )
        time.sleep(0.3)


# --- the standby ----------------------------------------------------------------------------


def _others_may_traverse(folder):
    """Whether every existing folder above `folder` lets other users through (o+x)."""
    return all(parent.stat().st_mode & 0o001 for parent in Path(folder).resolve().parents if parent.exists())


def _shared_home(folder):
    """A folder of its own for this standby under the temporary directory (sticky, open
    to all), named after the standby's folder so that each keeps its own."""
    digest = hashlib.sha256(str(Path(folder).resolve()).encode()).hexdigest()[:12]
    # /tmp itself, not $TMPDIR (which a test may point somewhere deep): the socket's path
    # must stay short.
    short = Path("/tmp")  # noqa: S108 (a fixed short path is the point; the folder below is ours)
    root = short if short.is_dir() else Path(tempfile.gettempdir())
    base = root / f"superset_connector-{os.getuid()}"
    base.mkdir(mode=0o755, exist_ok=True)
    base.chmod(0o755)
    home = base / f"standby-{digest}"
    home.mkdir(mode=0o755, exist_ok=True)
    return home


class Standby:
    """A hot standby of the stack's PostgreSQL on 127.0.0.1:port, kept in folder."""

    def __init__(self, folder, port, name="PostgreSQL standby"):
        self.folder = Path(folder).resolve()
        self.port = int(port)
        self.host = "127.0.0.1"
        self.name = name
        # The data and socket directories belong to the OS user postgres, who must be able
        # to reach them: in the folder when every folder above it lets others through,
        # else (a clone in a private folder, such as mktemp's) in the temporary directory.
        home = self.folder if _others_may_traverse(self.folder) else _shared_home(self.folder)
        self.data_dir = home / "data"
        self.socket_dir = home / "socket"
        self.log = self.folder / "standby.log"
        self.slot = slot_name(self.port)
        self.server = Server(name, self.folder / "standby.pid", self.log)
        self._bin = None

    def __repr__(self):
        return f"Standby({self.host}:{self.port}, {self.folder})"

    # --- life cycle
    def start(self, timeout=120):
        """Copy the primary when needed, start, and wait until the standby answers queries
        and streams WAL from the primary."""
        if self.running():
            self._wait_ready(timeout)
            return
        primary = _Primary()
        self._bin = self._binaries(primary.major_version())
        ensure_primary_ready(primary)
        reason = base_backup_reason(
            (self.data_dir / "standby.signal").exists() and (self.data_dir / "PG_VERSION").exists(),
            self._local_system_identifier(),
            primary.system_identifier(),
            any(name == self.slot for name, _kind, _active in primary.slots()),
        )
        stale = stale_slots(primary.slots(), keep=None if reason else self.slot)
        if stale:
            names = ", ".join(stale)
            info(f"Dropping unused standby replication slots on the primary (they keep WAL forever): {names}")
            for name in stale:
                primary.drop_slot(name)
        self._prepare_folder()
        if reason:
            self._base_backup(primary, reason)
        self._write_config(primary)
        step(f"Starting the {self.name} on {self.host}:{self.port} (streaming from {primary.host}:{primary.port})")
        self.server.start([*_as_postgres(), str(self._bin / "postgres"), "-D", str(self.data_dir)])
        self._wait_ready(timeout)
        info(f"{self.name} is replaying on {self.host}:{self.port}; log {self.log}")

    def stop(self):
        """Stop the standby we started (fast shutdown: its sessions are ended) and drop its
        slot on the primary, which would otherwise keep WAL for it forever."""
        stopped = False
        if self.running():
            bin_dir = self._bin or self._binaries(self._data_version())
            with contextlib.suppress(SetupError, subprocess.TimeoutExpired):
                subprocess.run(
                    [
                        *_as_postgres(),
                        str(bin_dir / "pg_ctl"),
                        "stop",
                        "-D",
                        str(self.data_dir),
                        "-m",
                        "fast",
                        "-w",
                        "-t",
                        "30",
                    ],
                    capture_output=True,
                    check=False,
                    timeout=40,
                )
            stopped = True
        self.server.stop()  # whatever pg_ctl left of the process group, and the pid file
        self._drop_own_slot()
        return stopped

    def running(self):
        return self.server.running()

    # --- replay
    def pause_replay(self, timeout=30):
        """Stop applying WAL (it still streams and answers queries, with the data as of now)."""
        self.psql("SELECT pg_wal_replay_pause()")
        deadline = time.monotonic() + timeout
        while self.psql("SELECT pg_get_wal_replay_pause_state()") != "paused":
            if time.monotonic() > deadline:
                raise SetupError(f"{self.name} on port {self.port} did not pause its replay within {timeout}s")
            time.sleep(0.05)

    def resume_replay(self):
        self.psql("SELECT pg_wal_replay_resume()")

    @contextlib.contextmanager
    def replay_paused(self):
        self.pause_replay()
        try:
            yield self
        finally:
            self.resume_replay()

    def replay_lsn(self):
        return self.psql("SELECT pg_last_wal_replay_lsn()")

    def catch_up(self, timeout=60):
        """Wait until the standby has replayed everything the primary wrote until now;
        returns that primary position."""
        target = _Primary().current_lsn()
        deadline = time.monotonic() + timeout
        while True:
            replayed = self.replay_lsn()
            if replayed and parse_lsn(replayed) >= parse_lsn(target):
                return target
            if time.monotonic() > deadline:
                raise SetupError(
                    f"{self.name} on port {self.port} has replayed {replayed}, not the primary's {target}, "
                    f"after {timeout}s (is its replay paused?)"
                )
            time.sleep(0.05)

    def psql(self, sql, db="postgres", user=SUPERUSER):
        """One statement on the standby; its output."""
        return _psql(sql, self.host, self.port, db=db, user=user)

    # --- helpers
    @staticmethod
    def _binaries(version):
        bin_dir = Path(f"/usr/lib/postgresql/{version}/bin")
        if not (bin_dir / "pg_basebackup").exists():
            raise SetupError(
                f"The PostgreSQL {version} server programs are missing ({bin_dir}): a standby of the "
                f"PostgreSQL {version} primary needs them (sudo apt-get install postgresql-{version})."
            )
        return bin_dir

    def _data_version(self):
        try:
            return int((self.data_dir / "PG_VERSION").read_text().strip())
        except (OSError, ValueError):
            return _Primary().major_version()

    def _local_system_identifier(self):
        if not (self.data_dir / "global" / "pg_control").exists():
            return None
        result = subprocess.run(
            [str(self._bin / "pg_controldata"), "-D", str(self.data_dir)],
            capture_output=True,
            text=True,
            check=False,
            env=dict(os.environ, LC_ALL="C"),
        )
        for line in result.stdout.splitlines():
            if line.startswith("Database system identifier:"):
                return line.split(":", 1)[1].strip()
        return None

    def _prepare_folder(self):
        if len(str(self.socket_dir)) > _SOCKET_PATH_MAX:
            raise SetupError(
                f"The standby's folder {self.folder} is too long a path for a Unix socket in it; use a shorter one."
            )
        self.folder.mkdir(parents=True, exist_ok=True)
        # postgres (another OS user) must reach its data and socket directories.
        self.data_dir.parent.chmod(0o755)
        for path in (self.data_dir, self.socket_dir):
            path.mkdir(exist_ok=True)
            if os.geteuid() == 0:
                shutil.chown(path, SUPERUSER, SUPERUSER)
        self.data_dir.chmod(0o700)
        if os.geteuid() == 0:
            probe = subprocess.run([*_as_postgres(), "test", "-w", str(self.data_dir)], check=False)
            if probe.returncode != 0:
                raise SetupError(
                    f"The OS user {SUPERUSER!r} cannot reach {self.data_dir}: a folder above it is closed "
                    "to other users. Put the standby in a folder every user may traverse."
                )

    def _base_backup(self, primary, reason):
        step(f"Copying the primary {primary.host}:{primary.port} for the {self.name} ({reason}; pg_basebackup)")
        primary.drop_slot(self.slot)
        # The directory itself is kept (owned by postgres, mode 0700); its content goes.
        for child in self.data_dir.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
        run(
            [
                *_as_postgres(),
                str(self._bin / "pg_basebackup"),
                "-h",
                primary.host,
                "-p",
                str(primary.port),
                "-U",
                SUPERUSER,
                "-w",
                "-D",
                str(self.data_dir),
                "-R",  # standby.signal and primary_conninfo (with the slot) in postgresql.auto.conf
                "-X",
                "stream",
                "-C",
                "-S",
                self.slot,
                "--checkpoint=fast",  # a spread checkpoint would make this wait for minutes
            ],
            self.log,
            env={k: v for k, v in os.environ.items() if not k.startswith("PG")},
            what="pg_basebackup of the primary",
            timeout=_BASE_BACKUP_TIMEOUT,
        )

    def _write_config(self, primary):
        matched = primary.show(*MATCHED_SETTINGS)
        files = {
            "postgresql.conf": standby_conf(self.port, self.data_dir, self.socket_dir, matched),
            "pg_hba.conf": standby_hba(),
            "pg_ident.conf": "",
        }
        for name, text in files.items():
            path = self.data_dir / name
            path.write_text(text)
            path.chmod(0o600)
            if os.geteuid() == 0:
                shutil.chown(path, SUPERUSER, SUPERUSER)

    def _wait_ready(self, timeout):
        """Until it accepts connections, is in recovery, and its WAL receiver streams."""
        deadline = time.monotonic() + timeout
        state = None
        while time.monotonic() < deadline:
            popen = self.server.popen
            if popen is not None and popen.poll() is not None:
                raise SetupError(
                    f"{self.name} exited during start-up (code {popen.returncode}); see {self.log}:\n{tail(self.log)}"
                )
            state = _psql(
                "SELECT pg_is_in_recovery(), (SELECT status FROM pg_stat_wal_receiver)",
                self.host,
                self.port,
                check=False,
            )
            if state == "t|streaming":
                return
            if state and state.startswith("f"):
                raise SetupError(f"{self.name} on port {self.port} is not in recovery: it was promoted? See {self.log}")
            time.sleep(0.3)
        raise SetupError(
            f"{self.name} on port {self.port} did not stream from the primary within {timeout}s "
            f"(state {state!r}); see {self.log}:\n{tail(self.log)}"
        )

    def _drop_own_slot(self, timeout=15):
        """Drop our slot once the primary's WAL sender for it has gone."""
        try:
            primary = _Primary()
            deadline = time.monotonic() + timeout
            while True:
                slot = next((s for s in primary.slots() if s[0] == self.slot), None)
                if slot is None:
                    return
                if not slot[2]:
                    primary.drop_slot(self.slot)
                    return
                if time.monotonic() > deadline:
                    warn(f"replication slot {self.slot} is still in use; the next standby start drops it")
                    return
                time.sleep(0.2)
        except SetupError as exc:
            warn(f"replication slot {self.slot} not dropped: {exc}")
