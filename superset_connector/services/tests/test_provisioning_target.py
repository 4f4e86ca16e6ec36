"""What Connect Superset sends (services/analytics_provisioning.py), with no server: the
password never in the target's text, PostgreSQL's refusals in plain words."""

from .. import analytics_provisioning as provisioning


def test_password_never_shows_in_the_target():
    target = provisioning.DatabaseTarget("n", "db", 5432, "odoo", "ro", "s3cret p@ss/word", "superset_analytics")
    assert "s3cret" not in repr(target)
    # Quoted in the URI, so a password holding '@', '/' or a space still parses.
    assert target.sqlalchemy_uri() == "postgresql+psycopg2://ro:s3cret%20p%40ss%2Fword@db:5432/odoo"


def test_postgres_reason_in_plain_words():
    reason = provisioning.postgres_reason
    wrapped = (
        '(builtins.NoneType) None\n[SQL: (psycopg2.OperationalError) connection to server at "10.0.0.5", '
        'port 5432 failed: FATAL:  password authentication failed for user "ro"'
    )
    assert reason(wrapped) == "password authentication failed"
    assert reason('FATAL:  database "nope" does not exist\n') == 'database "nope" does not exist'
    assert reason('could not translate host name "pg" to address') == "the host name does not resolve"
    assert reason("something\n  else   entirely") == "something else entirely"
