from odoo import Command
from odoo.tests import new_test_user


class SupersetCommonMixin:
    """Companies, users in each Superset group, and dashboards shared by the tests."""

    @classmethod
    def setup_superset_fixtures(cls):
        env = cls.env
        cls.company_a = env.ref("base.main_company")
        cls.company_b = env["res.company"].create({"name": "Superset Test B"})
        both = [Command.set([cls.company_a.id, cls.company_b.id])]
        cls.manager = new_test_user(
            env,
            "sc_manager",
            groups="base.group_user,superset_connector.group_superset_manager",
            company_id=cls.company_a.id,
            company_ids=both,
        )
        cls.user_a = new_test_user(
            env,
            "sc_user_a",
            groups="base.group_user,superset_connector.group_superset_user",
            company_id=cls.company_a.id,
            company_ids=[Command.set([cls.company_a.id])],
        )
        cls.user_b = new_test_user(
            env,
            "sc_user_b",
            groups="base.group_user,superset_connector.group_superset_user",
            company_id=cls.company_b.id,
            company_ids=[Command.set([cls.company_b.id])],
        )
        cls.outsider = new_test_user(env, "sc_outsider", groups="base.group_user", company_id=cls.company_a.id)
        cls.sales_group = env["res.groups"].create({"name": "Superset Test Sales Team"})
        cls.user_a.groups_id = [Command.link(cls.sales_group.id)]
        Dashboard = env["superset.dashboard"]
        cls.dash_everyone = Dashboard.create({"name": "Everyone", "superset_dashboard_id": 9001})
        cls.dash_sales = Dashboard.create(
            {"name": "Sales only", "superset_dashboard_id": 9002, "group_ids": [Command.set(cls.sales_group.ids)]}
        )
        cls.dash_company_b = Dashboard.create(
            {"name": "Company B only", "superset_dashboard_id": 9003, "company_ids": [Command.set(cls.company_b.ids)]}
        )
