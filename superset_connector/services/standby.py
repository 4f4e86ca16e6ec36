"""Superset reading a standby: has it replayed a refresh yet?

When Superset reads the analytics views from a streaming-replication standby, telling
it about a refresh (services/superset_cache.py) before the standby has replayed it makes
Superset recompute its charts from the older data, and cache them again. So the stamp
waits until the standby's replay position (pg_last_wal_replay_lsn()) has passed the
primary's WAL position taken after the refresh committed.

WAL positions are PostgreSQL's text form, "<high>/<low>" in hex ("0/3000060").
"""

import time
from dataclasses import dataclass

import psycopg2

# How long the commit of a refresh waits for the standby, at most, before leaving it to a
# retry: the user who clicked "Refresh now" waits that long in the worst case.
REPLAY_WAIT = 5.0
POLL_INTERVAL = 0.1
CONNECT_TIMEOUT = 3  # seconds; libpq takes whole seconds
# A retry comes sooner while the wait is young, and at least every MAX_RETRY seconds.
MIN_RETRY, MAX_RETRY = 30, 300


class StandbyUnreachable(Exception):
    """The analytics database did not answer (down, refused, timed out)."""


def parse_lsn(text):
    """A WAL position as an integer (the part after the slash is 32 bits of hex)."""
    high, sep, low = str(text or "").strip().partition("/")
    if not sep or not high or not low:
        raise ValueError(f"not a WAL position: {text!r}")
    return (int(high, 16) << 32) | int(low, 16)


def lsn_reached(replayed, target):
    """Whether a standby that replayed up to `replayed` has applied `target`; a standby
    that has replayed nothing yet (None) has not."""
    if not target:
        return True
    if not replayed:
        return False
    return parse_lsn(replayed) >= parse_lsn(target)


def latest_lsn(positions):
    """The furthest of these WAL positions (empty ones ignored), or None."""
    known = [p for p in positions if p]
    return max(known, key=parse_lsn) if known else None


def retry_delay(waited):
    """Seconds until the next try, after waiting `waited` seconds for the standby."""
    return int(min(max(waited / 4, MIN_RETRY), MAX_RETRY))


@dataclass(frozen=True)
class ReplayState:
    in_recovery: bool  # a standby; False: a primary, which has everything committed
    replay_lsn: str | None = None

    def reached(self, target):
        return not self.in_recovery or lsn_reached(self.replay_lsn, target)


class ReplayProbe:
    """One connection to the analytics database as Superset's role, asking where it is."""

    def __init__(self, host, port, database, user, password):
        self.params = {
            "host": host,
            "port": port,
            "dbname": database,
            "user": user,
            "password": password or None,
            "connect_timeout": CONNECT_TIMEOUT,
            "application_name": "Odoo superset_connector (replay check)",
            "options": "-c statement_timeout=5000",
        }
        self.connection = None

    def __enter__(self):
        try:
            self.connection = psycopg2.connect(**{k: v for k, v in self.params.items() if v is not None})
        except psycopg2.Error as exc:
            raise StandbyUnreachable(_first_line(exc)) from exc
        self.connection.autocommit = True
        return self

    def __exit__(self, *exc_info):
        if self.connection is not None:
            self.connection.close()

    def replay_state(self):
        try:
            with self.connection.cursor() as cr:
                cr.execute("SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text")
                in_recovery, replayed = cr.fetchone()
        except psycopg2.Error as exc:
            raise StandbyUnreachable(_first_line(exc)) from exc
        return ReplayState(bool(in_recovery), replayed)


def _first_line(exc):
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def wait_for_replay(read, target, budget=REPLAY_WAIT, interval=POLL_INTERVAL, clock=time.monotonic, sleep=time.sleep):
    """Read the state until the target is replayed (or it is a primary) or the budget
    is spent; returns the last state read."""
    deadline = clock() + budget
    while True:
        state = read()
        if state.reached(target) or clock() >= deadline:
            return state
        sleep(interval)
