"""Helpers shared by the analytics tests."""

import unittest
from datetime import datetime

import pytz

from odoo.tests import TransactionCase
from odoo.tools import SQL

SCHEMA = "superset_analytics"


class AnalyticsCase(TransactionCase):
    """A test of the analytics views: ``Views`` is the model, ``shipped(name)`` the
    record of a view this addon ships."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Views = cls.env["superset.analytics.view"]

    @classmethod
    def shipped(cls, name):
        return cls.env.ref(f"superset_connector.analytics_view_{name}")


def view_rows(env, name, where=None, order=None):
    """Rows of an analytics view as dicts, after flushing the ORM."""
    env.flush_all()
    env.cr.execute(
        SQL(
            "SELECT * FROM %s %s %s",
            SQL.identifier(SCHEMA, name),
            SQL("WHERE %s", where) if where else SQL(),
            SQL("ORDER BY %s", order) if order else SQL(),
        )
    )
    return env.cr.dictfetchall()


def relkind(env, name):
    """'v' (view), 'm' (materialized view) or None: what the schema holds under this name."""
    env.cr.execute(
        SQL(
            """SELECT c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = %s AND c.relname = %s""",
            SCHEMA,
            name,
        )
    )
    row = env.cr.fetchone()
    return row[0] if row else None


def views_depending_on_tables(env, tables):
    """Names of the schema's relations PostgreSQL records as reading one of these tables."""
    env.cr.execute(
        SQL(
            """SELECT DISTINCT v.relname
                 FROM pg_depend dep
                 JOIN pg_rewrite r ON r.oid = dep.objid
                 JOIN pg_class v ON v.oid = r.ev_class
                 JOIN pg_namespace n ON n.oid = v.relnamespace
                 JOIN pg_class t ON t.oid = dep.refobjid
                WHERE dep.classid = 'pg_rewrite'::regclass AND n.nspname = %s AND t.relname = ANY(%s)
                  AND t.oid <> v.oid""",
            SCHEMA,
            list(tables),
        )
    )
    return {row[0] for row in env.cr.fetchall()}


def usd_eur_and_main_company(env):
    """(USD, EUR, the main company): both currencies active, and the main company in USD,
    which the figure tests are written for (they are skipped on a database without it)."""
    usd, eur = env.ref("base.USD"), env.ref("base.EUR")
    usd.active = eur.active = True
    main = env.ref("base.main_company")
    if main.currency_id != usd:
        raise unittest.SkipTest("the figures are written for a main company in USD")
    return usd, eur, main


def new_company(env, name, currency, tz=None, lang="en_US", chart=True):
    """A company in this currency, its partner in timezone tz and language lang, with
    Odoo's generic chart of accounts (chart=False: none)."""
    company = env["res.company"].create({"name": name, "currency_id": currency.id})
    company.partner_id.write({"lang": lang, **({"tz": tz} if tz else {})})
    if chart:
        env["account.chart.template"].try_loading("generic_coa", company, install_demo=False)
        company.currency_id = currency  # the chart may set its own
    return company


def utc(local, tz):
    """The naive UTC datetime Odoo stores for a local wall-clock time in timezone tz."""
    moment = pytz.timezone(tz).localize(datetime.fromisoformat(local))
    return moment.astimezone(pytz.UTC).replace(tzinfo=None)


def local_day(value, tz):
    """The day of a stored (naive UTC) datetime in timezone tz."""
    return pytz.UTC.localize(value).astimezone(pytz.timezone(tz)).date() if value else None


def as_date(value):
    return value.date() if isinstance(value, datetime) else value
