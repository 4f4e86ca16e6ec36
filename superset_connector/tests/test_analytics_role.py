import logging
import os
from unittest.mock import patch

import psycopg2
from psycopg2 import errors as pg_errors

from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import SQL

from .analytics_common import SCHEMA, AnalyticsCase
from .common import SupersetCommonMixin

PASSWORD_PARAM = "superset_connector.analytics_db_password"


@tagged("post_install", "-at_install")
class TestAnalyticsRole(SupersetCommonMixin, AnalyticsCase):
    """The read-only PostgreSQL role Superset connects with, checked by PostgreSQL itself
    (SET ROLE in this transaction: every change is rolled back with the test)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_superset_fixtures()
        cls.role = cls.Views._readonly_role_name()
        cls.views = cls.Views.search([("state", "=", "installed")])

    def _create_role(self):
        self.Views.action_create_readonly_role()
        # Test only: lets this session take the role's identity with SET ROLE.
        self.env.cr.execute(SQL("GRANT %s TO CURRENT_USER", SQL.identifier(self.role)))

    def _as_role(self, statement):
        """Run statement as the read-only role; the role is dropped again afterwards."""
        with self.env.cr.savepoint(flush=False):
            self.env.cr.execute(SQL("SET LOCAL ROLE %s", SQL.identifier(self.role)))
            self.env.cr.execute(statement, log_exceptions=False)
            rows = self.env.cr.fetchall() if self.env.cr.description else None
            self.env.cr.execute("RESET ROLE")
        return rows

    def test_role_selects_views_and_nothing_else(self):
        """The role reads every view of the schema; it cannot read res_users,
        ir_config_parameter or any other Odoo table, nor write anything: PostgreSQL grants
        it no INSERT, UPDATE, DELETE, TRUNCATE on the views and refuses writes to tables,
        REFRESH, and CREATE in its schema or in public."""
        self._create_role()
        for view in self.views:
            with self.subTest(view=view.name):
                self.assertIsNotNone(self._as_role(SQL("SELECT count(*) FROM %s", SQL.identifier(SCHEMA, view.name))))
                self.env.cr.execute(
                    """SELECT has_table_privilege(%(role)s, %(rel)s, 'SELECT'),
                              has_table_privilege(%(role)s, %(rel)s,
                                                  'INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')""",
                    {"role": self.role, "rel": f"{SCHEMA}.{view.name}"},
                )
                self.assertEqual(self.env.cr.fetchone(), (True, False))
        denied = [
            SQL("SELECT login FROM res_users LIMIT 1"),
            SQL("SELECT value FROM ir_config_parameter LIMIT 1"),
            SQL("SELECT 1 FROM sale_order_line LIMIT 1"),
            SQL("UPDATE res_company SET name = 'x'"),
            SQL("DELETE FROM res_users"),
            SQL("REFRESH MATERIALIZED VIEW superset_analytics.mv_sale_monthly"),
            SQL("CREATE TABLE superset_analytics.sc_intruder (id int)"),
            SQL("CREATE TABLE public.sc_intruder (id int)"),
            SQL("CREATE VIEW superset_analytics.sc_intruder AS SELECT 1"),
        ]
        for statement in denied:
            with self.subTest(statement=statement.code), self.assertRaises(pg_errors.InsufficientPrivilege):
                self._as_role(statement)
        # Writing through a view fails too (the views are not updatable, and not granted).
        for statement in (
            SQL("INSERT INTO superset_analytics.vw_company (company_id, company_name) VALUES (999, 'x')"),
            SQL("UPDATE superset_analytics.vw_company SET company_name = 'x'"),
            SQL("DELETE FROM superset_analytics.mv_sale_monthly"),
            SQL("TRUNCATE superset_analytics.mv_sale_monthly"),
        ):
            with self.subTest(statement=statement.code), self.assertRaises(psycopg2.Error):
                self._as_role(statement)

    def test_role_attributes_and_session_defaults(self):
        """The role logs in and has no other attribute (superuser, create database or role,
        replication, bypass RLS, inherit); its sessions are read-only by default, with a
        statement timeout and a connection limit."""
        self._create_role()
        self.env.cr.execute(
            """SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls, rolinherit,
                      rolconnlimit, rolconfig
                 FROM pg_roles WHERE rolname = %s""",
            [self.role],
        )
        login, *others, limit, settings = self.env.cr.fetchone()
        self.assertTrue(login)
        self.assertEqual(others, [False] * 6)
        self.assertEqual(limit, 20)
        self.assertIn("default_transaction_read_only=on", settings)
        self.assertIn("statement_timeout=120s", settings)

    def test_updating_the_role_takes_back_extra_privileges(self):
        """Run on an existing role that was given more (SELECT on res_users, membership of
        another role), the action takes it back."""
        self._create_role()
        self.env.cr.execute(SQL("GRANT SELECT ON res_users TO %s", SQL.identifier(self.role)))
        other = SQL.identifier(f"sc_test_privileged_{os.getpid()}")  # roles are cluster-wide: unique per run
        self.env.cr.execute(SQL("CREATE ROLE %s NOLOGIN", other))
        self.env.cr.execute(SQL("GRANT %s TO %s", other, SQL.identifier(self.role)))
        self.assertTrue(self._as_role(SQL("SELECT count(*) FROM res_users")))
        self._create_role()
        with self.assertRaises(pg_errors.InsufficientPrivilege):
            self._as_role(SQL("SELECT count(*) FROM res_users"))
        self.env.cr.execute(
            """SELECT count(*) FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = %s""",
            [self.role],
        )
        self.assertEqual(self.env.cr.fetchone()[0], 0)

    def test_views_created_later_are_readable(self):
        """A view created after the role (an app installed later) is readable by the role."""
        self._create_role()
        view = self.Views.create(
            {"name": "vw_test_later", "sql_file": "sql_views/company.sql", "required_modules": "base"}
        )
        view._sync_views()
        self.assertTrue(self._as_role(SQL("SELECT count(*) FROM superset_analytics.vw_test_later")))

    def test_password_is_a_system_secret_never_logged(self):
        """The generated password lives in a system parameter; with every SQL statement
        logged (debug), it appears in no log line (PostgreSQL receives a SCRAM verifier).
        A Superset Manager who is not an administrator reads neither the parameter nor the
        connection parameters."""
        sql_logger = logging.getLogger("odoo.sql_db")
        previous = sql_logger.level
        sql_logger.setLevel(logging.DEBUG)
        try:
            with self.assertLogs("odoo", level=logging.DEBUG) as logs:
                self._create_role()
        finally:
            sql_logger.setLevel(previous)
        password = self.env["ir.config_parameter"].get_param(PASSWORD_PARAM)
        self.assertGreaterEqual(len(password), 32)
        self.assertTrue(any("SCRAM-SHA-256" in line for line in logs.output))
        self.assertFalse([line for line in logs.output if password in line])
        with self.assertRaises(AccessError):
            self.env["ir.config_parameter"].with_user(self.manager).search([("key", "=", PASSWORD_PARAM)])
        with self.assertRaises(AccessError):
            self.Views.with_user(self.manager)._superset_database_params()

    def test_only_administrators_connect_superset(self):
        """A Superset Manager who is not an administrator may neither create the role nor
        connect Superset to the analytics views (both hand out database access); nothing
        is created when refused."""
        for action in ("action_create_readonly_role", "action_provision_superset"):
            with self.subTest(action=action), self.assertRaises(AccessError):
                getattr(self.Views.with_user(self.manager), action)()
        self.assertFalse(self.Views._role_exists(self.role))
        self.assertFalse(self.env["ir.config_parameter"].get_param("superset_connector.analytics_database_id"))

    def test_connection_parameters_for_superset(self):
        """The Superset provisioning gets the role, the password and where it comes from
        (the environment wins over the stored parameter), this database and the schema."""
        params = self.Views._superset_database_params()
        self.assertEqual(params["username"], self.role)
        self.assertEqual(params["database"], self.env.cr.dbname)
        self.assertEqual(params["schema"], SCHEMA)
        self.assertEqual(params["password_source"], "database")
        self.assertEqual(params["password"], self.env["ir.config_parameter"].get_param(PASSWORD_PARAM))
        self.assertNotIn(params["password"], params["sqlalchemy_uri"])
        with patch.dict(os.environ, {"SUPERSET_CONNECTOR_ANALYTICS_DB_PASSWORD": "from-env"}):
            self.env.registry.clear_cache()  # settings are cached; the environment is read when they are built
            params = self.Views._superset_database_params()
        self.env.registry.clear_cache()
        self.assertEqual((params["password"], params["password_source"]), ("from-env", "environment"))
