"""When a standby has replayed a refresh (services/standby.py), with no server: WAL
positions, the wait and its bound, the retry delay."""

import pytest

from ..config import ConnectorSettings
from ..standby import (
    MAX_RETRY,
    MIN_RETRY,
    ReplayState,
    latest_lsn,
    lsn_reached,
    parse_lsn,
    retry_delay,
    wait_for_replay,
)


def test_wal_positions_compare_as_numbers_not_as_text():
    """ "0/A0" is past "0/9F" (hex), "0/10000000" past "0/FFFFFFF" (longer), "1/0" past
    "0/FFFFFFFF" (the high part): text order would get two of these wrong."""
    assert parse_lsn("0/3000060") == 0x3000060
    assert parse_lsn("16/B374D848") == (0x16 << 32) | 0xB374D848
    assert lsn_reached("0/A0", "0/9F")
    assert lsn_reached("0/10000000", "0/FFFFFFF")
    assert sorted(["0/FFFFFFF", "0/10000000"]) == ["0/10000000", "0/FFFFFFF"]  # what text order says
    assert lsn_reached("1/0", "0/FFFFFFFF")
    assert lsn_reached("0/3000060", "0/3000060")
    assert not lsn_reached("0/300005F", "0/3000060")


@pytest.mark.parametrize("text", ["", "3000060", "0/", "/1", "0/xyz", None])
def test_what_is_not_a_wal_position(text):
    with pytest.raises(ValueError):
        parse_lsn(text)


def test_nothing_replayed_yet_has_not_reached_a_target_and_no_target_is_reached():
    assert not lsn_reached(None, "0/1")
    assert lsn_reached(None, None)
    assert lsn_reached("0/1", "")


def test_latest_lsn_is_the_furthest():
    assert latest_lsn(["0/FFFFFFF", "0/10000000", None, ""]) == "0/10000000"
    assert latest_lsn([None, False]) is None


def test_a_primary_has_always_reached_the_target():
    """A primary (not in recovery) has everything committed: nothing to wait for."""
    assert ReplayState(in_recovery=False).reached("9/0")
    assert not ReplayState(in_recovery=True, replay_lsn="0/1").reached("0/2")
    assert ReplayState(in_recovery=True, replay_lsn="0/2").reached("0/2")


class _Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_the_wait_stops_once_the_standby_has_replayed():
    clock = _Clock()
    states = iter([ReplayState(True, "0/10"), ReplayState(True, "0/20"), ReplayState(True, "0/30")])
    state = wait_for_replay(lambda: next(states), "0/20", budget=5, interval=0.1, clock=clock, sleep=clock.sleep)
    assert state.replay_lsn == "0/20"
    assert clock.now == pytest.approx(0.1)


def test_the_wait_is_bounded_and_returns_the_last_state():
    """A standby that does not move: the wait gives up at its budget (the caller keeps the
    view stale and retries later)."""
    clock = _Clock()
    reads = []

    def read():
        reads.append(clock.now)
        return ReplayState(True, "0/10")

    state = wait_for_replay(read, "0/20", budget=1.0, interval=0.25, clock=clock, sleep=clock.sleep)
    assert not state.reached("0/20")
    assert reads == [0.0, 0.25, 0.5, 0.75, 1.0]


def test_a_primary_is_not_waited_for():
    clock = _Clock()
    state = wait_for_replay(lambda: ReplayState(False), "9/0", budget=5, clock=clock, sleep=clock.sleep)
    assert not state.in_recovery
    assert clock.now == 0


def test_retries_come_sooner_while_the_wait_is_young():
    assert retry_delay(0) == MIN_RETRY
    assert retry_delay(400) == 100
    assert retry_delay(10**6) == MAX_RETRY


def test_the_lag_setting_has_a_default_and_bounds():
    """60 s unless set; a stored value out of its bounds (written directly, bypassing the
    settings form) is read as the nearest bound."""
    assert ConnectorSettings.from_sources({}).analytics_standby_max_lag == 60
    assert ConnectorSettings.from_sources({"analytics_standby_max_lag": "5"}).analytics_standby_max_lag == 5
    assert ConnectorSettings.from_sources({"analytics_standby_max_lag": "0"}).analytics_standby_max_lag == 1
    assert ConnectorSettings.from_sources({"analytics_standby_max_lag": "9999999"}).analytics_standby_max_lag == 86_400
