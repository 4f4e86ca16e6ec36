import importlib
import json
import os
import uuid
from unittest.mock import patch
from urllib.parse import urlsplit

import requests

from odoo import Command
from odoo.tests import new_test_user
from odoo.tests.common import BlockedRequest, _super_send

from ..services.superset_client import SupersetClient

# The tag of the test classes that need the live Superset servers `make test` starts: with
# "-standard", `@tagged("post_install", "-at_install", "-standard", LIVE_TAG)`. Odoo's own
# runner leaves them out of a plain run (`--test-tags /superset_connector`) and runs them
# only when asked (`--test-tags superset_live`), failing loudly without the servers;
# pytest-odoo (`make test`) gives them the servers (the conftest.py at the repository root
# reads this tag).
LIVE_TAG = "superset_live"


class LiveSupersetMissing(RuntimeError):
    """A live-Superset test runs where no Superset servers were started for it."""


class LiveSuperset:
    """The real Superset servers `make test` starts (see conftest.py at the repository root)."""

    def __init__(self):
        self.url = os.environ.get("SC_TEST_SUPERSET_URL")
        self.misconfigured_url = os.environ.get("SC_TEST_SUPERSET_MISCONFIGURED_URL")
        self.user = os.environ.get("SC_TEST_SUPERSET_USER")
        self.password = os.environ.get("SC_TEST_SUPERSET_PASSWORD")
        self.guest_secret = os.environ.get("SC_TEST_SUPERSET_GUEST_SECRET")
        self.guest_audience = os.environ.get("SC_TEST_SUPERSET_GUEST_AUDIENCE")
        self.odoo_origin = os.environ.get("SC_TEST_ODOO_ORIGIN")
        self.rls = json.loads(os.environ.get("SC_TEST_RLS") or "{}")  # tests/superset_fixtures.py's content

    @property
    def fixtures(self):
        """tests/superset_fixtures.py, imported when used: it is on sys.path under pytest
        only (the conftest.py at the repository root puts it there), so a test module
        importing it at its top cannot even be imported by Odoo's own runner."""
        return importlib.import_module("superset_fixtures")

    def client(self, url=None):
        return SupersetClient(url or self.url, self.user, self.password, retries=0)

    def create_dashboards(self, count, prefix=None):
        prefix = prefix or f"test-{uuid.uuid4().hex[:8]}"
        client = self.client()
        return [
            client.post_json("/api/v1/dashboard/", {"dashboard_title": f"{prefix} {index}"})["id"]
            for index in range(count)
        ]


class SupersetCommonMixin:
    """Companies, users in each Superset group, dashboards, and the live Superset."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if "standard" not in cls.test_tags:
            # Odoo blocks outbound HTTP for standard tests only (BaseCase.setUpClass); the
            # live-Superset tests are not standard: the same block for them. (A lambda, as
            # there: a function is bound to the session; the classmethod would lose it.)
            patcher = patch.object(
                requests.sessions.Session,
                "send",
                lambda s, r, **kw: cls._request_handler(s, r, **kw),  # noqa: PLW0108
            )
            patcher.start()
            cls.addClassCleanup(patcher.stop)

    @classmethod
    def _request_handler(cls, s, r, /, **kw):
        # Odoo's own handler compares `timeout < 10`, which breaks on (connect, read)
        # timeouts; keep its rule (loopback only) without that comparison.
        if urlsplit(r.url).hostname in ("127.0.0.1", "localhost"):
            return _super_send(s, r, **kw)
        raise BlockedRequest(f"External requests verboten (was {r.method} {r.url})")

    @classmethod
    def setup_live_superset(cls, token_mode="api"):
        """The live Superset as this class's Superset; the class must be tagged LIVE_TAG."""
        if LIVE_TAG not in cls.test_tags:
            raise TypeError(
                f"{cls.__name__} uses the live Superset: tag it "
                f'@tagged("post_install", "-at_install", "-standard", "{LIVE_TAG}") (see common.py)'
            )
        cls.live = LiveSuperset()
        if not cls.live.url:
            raise LiveSupersetMissing(
                f"{cls.__name__} needs the live Superset servers that `make test` starts, and none "
                f"were started (SC_TEST_SUPERSET_URL is not set). Run it with `make test` "
                f'(PYTEST_ARGS="-k {cls.__name__}" for this class alone); Odoo\'s own runner runs '
                f"the other tests with --test-tags /superset_connector."
            )
        cls.configure_superset(
            url=cls.live.url,
            username=cls.live.user,
            password=cls.live.password,
            token_mode=token_mode,
            guest_token_secret=cls.live.guest_secret,
            guest_token_audience=cls.live.guest_audience,
            retries=0,
        )
        cls.env["ir.config_parameter"].sudo().set_param("web.base.url", cls.live.odoo_origin)

    @classmethod
    def configure_superset(cls, **values):
        params = cls.env["ir.config_parameter"].sudo()
        for key, value in values.items():
            params.set_param(f"superset_connector.{key}", value)
        cls.env["superset.connector"]._forget_connections()  # each test: a fresh client and breaker

    @classmethod
    def setup_superset_fixtures(cls):
        env = cls.env
        cls.company_a = env.ref("base.main_company")
        cls.company_b = env["res.company"].create({"name": "Superset Test B"})
        manager, user = "superset_connector.group_superset_manager", "superset_connector.group_superset_user"
        for attribute, login, group, companies in (
            ("manager", "sc_manager", manager, cls.company_a | cls.company_b),
            ("user_a", "sc_user_a", user, cls.company_a),
            ("user_b", "sc_user_b", user, cls.company_b),
        ):
            test_user = new_test_user(
                env,
                login,
                groups=f"base.group_user,{group}",
                company_id=companies[0].id,
                company_ids=[Command.set(companies.ids)],
            )
            setattr(cls, attribute, test_user)
        cls.outsider = new_test_user(env, "sc_outsider", groups="base.group_user", company_id=cls.company_a.id)
        cls.sales_group = env["res.groups"].create({"name": "Superset Test Sales Team"})
        cls.finance_group = env["res.groups"].create({"name": "Superset Test Finance Team"})
        cls.user_a.groups_id = [Command.link(cls.sales_group.id)]
        cls.user_b.groups_id = [Command.link(cls.finance_group.id)]
        Dashboard = env["superset.dashboard"]
        cls.dash_everyone = Dashboard.create({"name": "Everyone", "superset_dashboard_id": 9001})
        cls.dash_sales = Dashboard.create(
            {"name": "Sales only", "superset_dashboard_id": 9002, "group_ids": [Command.set(cls.sales_group.ids)]}
        )
        cls.dash_company_b = Dashboard.create(
            {"name": "Company B only", "superset_dashboard_id": 9003, "company_ids": [Command.set(cls.company_b.ids)]}
        )
        cls.dash_finance = Dashboard.create(
            {"name": "Finance only", "superset_dashboard_id": 9004, "group_ids": [Command.set(cls.finance_group.ids)]}
        )
