"""End to end: an addon extends the analytics views (tests/addons/superset_connector_views_example).

Installed with odoo-bin after superset_connector on a throw-away copy of the apps
template, it brings a view of its own (its SQL file is one of its module) and a column
added to the shipped monthly sales views; "Connect Superset" hands both to a Superset of
this module's own (its metadata holds no dataset of another test); uninstalled, it takes
both away again.
"""

import pytest
from analytics_e2e import analytics_database, provision_script, relations, shell, shell_json, sql, states

from odoo.addons.superset_connector.services.superset_client import SupersetClient

from devstack import settings
from devstack import superset as superset_stack
from devstack.procs import free_port

EXAMPLE = "superset_connector_views_example"
SCHEMA = "superset_analytics"
MONTHLY = ("vw_sale_monthly", "mv_sale_monthly")

# A confirmed order with a 10 % discount in the main company, the materialized views refreshed.
ORDER_SCRIPT = (
    "import json\n"
    "from odoo import Command\n"
    "company = env.ref('base.main_company')\n"
    "partner = env['res.partner'].create({'name': 'Example customer'})\n"
    "product = env['product.product'].create({'name': 'Example widget'})\n"
    "order = env['sale.order'].with_company(company).create({'partner_id': partner.id, 'order_line': [\n"
    "    Command.create({'product_id': product.id, 'product_uom_qty': 1, 'price_unit': 100, 'discount': 10,\n"
    "                    'tax_id': False})]})\n"
    "order.action_confirm()\n"
    "env.cr.commit()\n"
    "env['superset.analytics.view'].search([('kind', '=', 'materialized'), ('state', '=', 'installed')])"
    ".action_refresh_now()\n"
    "env.cr.commit()\n"
    "print('RESULT ' + json.dumps({'company': company.id, 'team': order.team_id.id}))\n"
)


@pytest.fixture(scope="module")
def example_db(stack, e2e_dir):
    with analytics_database(stack, e2e_dir, "example", modules=f"superset_connector,{EXAMPLE}") as db:
        yield db


@pytest.fixture(scope="module")
def example_superset(stack, e2e_dir, odoo_port):
    instance = superset_stack.Instance(e2e_dir / "superset-example", free_port(), odoo_port, name="Superset (example)")
    instance.start(stack.superset_venv)
    yield instance
    instance.stop()


def _columns(db, view):
    """Column names of a view or materialized view of the schema, in order."""
    rows = sql(
        db,
        "SELECT attname FROM pg_attribute WHERE attnum > 0 AND NOT attisdropped "  # noqa: S608 (test's names)
        f"AND attrelid = to_regclass('{SCHEMA}.{view}') ORDER BY attnum",
    )
    return rows.splitlines()


def test_an_addon_adds_a_view_and_a_column_that_reach_superset(stack, example_db, e2e_dir, example_superset):
    """With the example addon installed, its own view exists and the monthly sales views
    (plain and materialized, through vw_sale_period) have its column, with its figures;
    the daily ones, which it does not extend, are as shipped. "Connect Superset" makes
    datasets of both, the new column among the dataset's columns. Uninstalled, the
    addon's view goes and the monthly views are created again without its column."""
    assert {name: state for name, state in states(example_db).items() if state == "error"} == {}
    assert relations(example_db)["vw_sale_team_monthly"] == "v"
    for view in MONTHLY:
        assert _columns(example_db, view)[-2:] == ["quotations_untaxed", "discounted_orders"], view
    assert "discounted_orders" not in _columns(example_db, "mv_sale_daily")

    order = shell_json(shell(stack, example_db, e2e_dir, "example-order", ORDER_SCRIPT))
    for view in MONTHLY:
        figures = sql(
            example_db,
            f"SELECT sum(discounted_orders) || ':' || sum(confirmed_orders) FROM {SCHEMA}.{view} "  # noqa: S608
            f"WHERE company_id = {int(order['company'])}",
        )
        assert figures == "1:1", (view, figures)
    team = sql(
        example_db,
        f"SELECT confirmed_orders || ':' || round(untaxed_revenue, 2) FROM {SCHEMA}.vw_sale_team_monthly "  # noqa: S608
        f"WHERE company_id = {int(order['company'])} AND team_id IS NOT DISTINCT FROM {order['team'] or 'NULL'}",
    )
    assert team == "1:90.00", team

    user, password = settings.superset_admin()
    connected = shell_json(
        shell(stack, example_db, e2e_dir, "example-connect", provision_script(example_superset.url, user, password))
    )
    assert connected.get("type") == "success", connected
    assert set(connected["datasets"]) == set(relations(example_db))
    client = SupersetClient(example_superset.url, user, password, retries=0)

    def dataset_columns(view):
        return {column["column_name"] for column in client.dataset(connected["datasets"][view])["columns"]}

    for view in MONTHLY:
        assert "discounted_orders" in dataset_columns(view), view
    assert {"team_id", "team_name", "month", "untaxed_revenue"} <= dataset_columns("vw_sale_team_monthly")

    shell(
        stack,
        example_db,
        e2e_dir,
        "example-uninstall",
        f"env['ir.module.module'].search([('name', '=', '{EXAMPLE}')]).button_immediate_uninstall()\n",
    )
    assert sql(example_db, f"SELECT state FROM ir_module_module WHERE name = '{EXAMPLE}'") == "uninstalled"  # noqa: S608
    assert "vw_sale_team_monthly" not in relations(example_db)
    assert "vw_sale_team_monthly" not in states(example_db)
    for view in MONTHLY:
        assert _columns(example_db, view)[-1] == "quotations_untaxed", view
    assert set(states(example_db).values()) <= {"installed", "waiting"}
