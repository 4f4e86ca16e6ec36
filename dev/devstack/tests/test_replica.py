"""The standby's pure logic: WAL positions, pg_hba rules, slots, its configuration."""

import tempfile
from pathlib import Path

import pytest

from devstack import replica


def _rule(
    line, type_="host", database=("all",), user=("all",), address="127.0.0.1", netmask="255.255.255.255", auth="trust"
):
    return {
        "line_number": line,
        "type": type_,
        "database": list(database),
        "user_name": list(user),
        "address": address,
        "netmask": netmask,
        "auth_method": auth,
        "error": "",
    }


def test_wal_positions_compare_as_numbers():
    """The part after the slash is a 32-bit hex offset: 0/A0 is past 0/9F, 1/0 past 0/FFFFFFFF."""
    assert replica.parse_lsn("0/3000060") == 0x3000060
    assert replica.parse_lsn("16/B374D848") == (0x16 << 32) | 0xB374D848
    assert replica.parse_lsn("0/A0") > replica.parse_lsn("0/9F")
    assert replica.parse_lsn("1/0") > replica.parse_lsn("0/FFFFFFFF")
    with pytest.raises(ValueError):
        replica.parse_lsn("3000060")


def test_the_machines_hba_lets_no_replication_in():
    """`all` in the database column does not match replication connections: Debian's default
    rules (as on this machine) give the standby no rule, so the stack adds its line."""
    rules = [_rule(1, type_="local", address="", netmask=""), _rule(2)]
    assert replica.first_replication_rule(rules) is None
    assert replica.hba_problem(None, "/etc/postgresql/15/main/pg_hba.conf") is None


def test_first_matching_replication_rule_wins():
    trusted = _rule(7, database=("replication",))
    password = _rule(3, database=("replication",), auth="scram-sha-256")
    assert replica.first_replication_rule([trusted]) is trusted
    assert replica.first_replication_rule([trusted, password]) is password
    problem = replica.hba_problem(password, "/etc/pg_hba.conf")
    assert "line 3 of /etc/pg_hba.conf" in problem and "scram-sha-256" in problem
    assert replica.HBA_LINE in problem


@pytest.mark.parametrize(
    ("rule", "matches"),
    [
        (_rule(1, database=("replication",), address="127.0.0.0", netmask="255.0.0.0"), True),
        (_rule(1, database=("replication",), address="10.0.0.0", netmask="255.0.0.0"), False),
        (_rule(1, database=("replication",), address="all", netmask=""), True),
        (_rule(1, database=("replication",), address="samehost", netmask=""), True),
        (_rule(1, database=("replication",), address="db.example.com", netmask=""), False),
        (_rule(1, database=("replication",), user=("postgres",)), True),
        (_rule(1, database=("replication",), user=("replicator",)), False),
        (_rule(1, type_="hostssl", database=("replication",)), False),
        (_rule(1, type_="hostnossl", database=("replication",)), True),
        (_rule(1, type_="local", database=("replication",), address="", netmask=""), False),
    ],
)
def test_which_rules_a_replication_connection_from_loopback_matches(rule, matches):
    assert (replica.first_replication_rule([rule]) is rule) is matches


def test_hostssl_matches_when_the_primary_uses_ssl():
    rule = _rule(1, type_="hostssl", database=("replication",))
    assert replica.first_replication_rule([rule], ssl=True) is rule


def test_a_rule_with_an_error_is_skipped():
    broken = {**_rule(1, database=("replication",)), "error": "invalid authentication method"}
    assert replica.first_replication_rule([broken]) is None


def test_stale_slots_are_our_inactive_physical_ones():
    """An inactive slot keeps WAL on the primary forever: ours go, others' and active ones stay."""
    slots = [
        ("sc_standby_5433", "physical", False),
        ("sc_standby_6000", "physical", True),
        ("sc_standby_7000", "physical", False),
        ("sc_standby_logical", "logical", False),
        ("barman", "physical", False),
    ]
    assert replica.stale_slots(slots) == ["sc_standby_5433", "sc_standby_7000"]
    assert replica.stale_slots(slots, keep="sc_standby_5433") == ["sc_standby_7000"]
    assert replica.slot_name(5433) == "sc_standby_5433"


def test_wal_settings_that_cannot_feed_a_standby_are_named():
    assert replica.wal_problems({"wal_level": "replica", "max_wal_senders": "10", "max_replication_slots": "10"}) == []
    problems = replica.wal_problems({"wal_level": "minimal", "max_wal_senders": "0", "max_replication_slots": "0"})
    assert len(problems) == 3
    assert "wal_level is 'minimal'" in problems[0]


def test_when_a_fresh_base_backup_is_needed():
    assert replica.base_backup_reason(False, None, "7", False) == "first start"
    assert "not the cluster" in replica.base_backup_reason(True, "6", "7", True)
    assert "slot is gone" in replica.base_backup_reason(True, "7", "7", False)
    assert replica.base_backup_reason(True, "7", "7", True) is None


def test_standby_configuration(tmp_path):
    """Its own port, loopback only, sockets in its folder, a hot standby with at least the
    primary's limits (it refuses to start with fewer)."""
    matched = dict.fromkeys(replica.MATCHED_SETTINGS, "64")
    matched["max_connections"] = "200"
    conf = replica.standby_conf(5433, tmp_path / "data", tmp_path / "it's socket", matched)
    lines = dict(line.split(" = ", 1) for line in conf.splitlines() if " = " in line)
    assert lines["port"] == "5433"
    assert lines["listen_addresses"] == "'127.0.0.1'"
    assert lines["unix_socket_directories"] == "'" + str(tmp_path / "it''s socket") + "'"
    assert lines["hot_standby"] == "'on'"
    assert lines["hba_file"] == f"'{tmp_path / 'data' / 'pg_hba.conf'}'"
    assert lines["max_connections"] == "200"
    assert all(key in lines for key in replica.MATCHED_SETTINGS)
    hba = replica.standby_hba().splitlines()
    assert "local all all trust" in hba and "host all all 127.0.0.1/32 trust" in hba


def test_a_standby_in_a_private_folder_keeps_its_data_where_postgres_can_reach_it(tmp_path):
    """A clone in a folder closed to other users (mktemp's 0700): the standby's data and
    socket directories go under the temporary directory, each standby its own; in an open
    folder they stay in it."""
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    private.chmod(0o700)
    hidden = replica.Standby(private / "standby", 55432)
    assert not str(hidden.data_dir).startswith(str(private))
    assert hidden.data_dir.parent == hidden.socket_dir.parent
    other = replica.Standby(private / "other", 55433)
    assert other.data_dir != hidden.data_dir
    # /tmp lets everyone through: a standby folder below it keeps its data in itself.
    opened = Path(tempfile.gettempdir()) / "sc-standby-layout-check" / "standby"
    assert replica.Standby(opened, 55434).data_dir == opened.resolve() / "data"
