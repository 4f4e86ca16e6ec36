"""Demo content for `make demo`, run in `odoo-bin shell` once the demo Superset runs:
Superset connected to the analytics views (as the read-only role), the materialized
views refreshed with the demo data, a "Sales overview" dashboard built on them and the
addon's starter dashboards, synced into Odoo and offered to every Superset User.
Idempotent: found again by title (the starters by slug).
"""

import os

from odoo.addons.superset_connector.services import superset_content
from odoo.addons.superset_connector.services.superset_content import Cell

TITLE = "Sales overview"
SALES_BY_COMPANY = "demo_sales_by_company"
# Amounts are in each company's currency: the company's name carries it.
SALES_BY_COMPANY_SQL = """
SELECT m.company_id, m.month, c.company_name || ' (' || c.currency || ')' AS company,
       m.untaxed_revenue, m.confirmed_orders
  FROM superset_analytics.mv_sale_monthly m
  JOIN superset_analytics.vw_company c USING (company_id)
"""


def _metric(column, label, aggregate="SUM"):
    return {"expressionType": "SIMPLE", "column": {"column_name": column}, "aggregate": aggregate, "label": label}


def _id(item):
    return item and item["id"]


def _build_dashboard(client, database_id, datasets):
    sales_by_company = (
        _id(client.find("dataset", "table_name", SALES_BY_COMPANY))
        or client.post_json(
            "/api/v1/dataset/",
            {
                "database": database_id,
                "schema": "superset_analytics",
                "table_name": SALES_BY_COMPANY,
                "sql": SALES_BY_COMPANY_SQL,
            },
        )["id"]
    )
    orders = superset_content.chart(
        client,
        "Confirmed orders",
        datasets["mv_sale_monthly"],
        {
            "viz_type": "big_number_total",
            "metric": _metric("confirmed_orders", "Confirmed orders"),
            "adhoc_filters": [],
            "y_axis_format": ",d",
        },
    )
    revenue = superset_content.chart(
        client,
        "Monthly untaxed revenue by company",
        sales_by_company,
        {
            "viz_type": "echarts_timeseries_bar",
            "x_axis": "month",
            "time_grain_sqla": "P1M",
            "metrics": [_metric("untaxed_revenue", "Untaxed revenue")],
            "groupby": ["company"],
            "adhoc_filters": [],
            "row_limit": 10000,
            "show_legend": True,
            "y_axis_format": "SMART_NUMBER",
        },
    )
    products = superset_content.chart(
        client,
        "Top products by quantity",
        datasets["mv_sale_product_monthly"],
        {
            "viz_type": "table",
            "query_mode": "aggregate",
            "groupby": ["product_name"],
            "metrics": [_metric("quantity", "Quantity"), _metric("orders", "Orders")],
            "timeseries_limit_metric": _metric("quantity", "Quantity"),
            "order_desc": True,
            "adhoc_filters": [],
            "row_limit": 10,
        },
    )
    charts = [
        Cell(orders, "Confirmed orders"),
        Cell(revenue, "Monthly untaxed revenue by company"),
        Cell(products, "Top products by quantity"),
    ]
    return superset_content.dashboard(client, TITLE, [charts])


def main(env):
    # The origin the banner prints: Superset lets that page frame the dashboard (Odoo
    # itself would set it only at the admin's first login).
    odoo_url = os.environ["SC_DEMO_ODOO_URL"]
    params = env["ir.config_parameter"]
    params.set_param("web.base.url", odoo_url)
    params.set_param("superset_connector.allowed_domains", odoo_url.replace("127.0.0.1", "localhost"))
    views = env["superset.analytics.view"]
    views.search([("kind", "=", "materialized"), ("state", "=", "installed")]).action_refresh_now()
    env.cr.commit()  # the refresh holds its views until committed; the next step grants on them
    views.action_provision_superset()
    env.cr.commit()
    datasets = {view.name: view.superset_dataset_id for view in views.search([("state", "=", "installed")])}
    database_id = int(params.get_param("superset_connector.analytics_database_id"))
    client = env["superset.connector"]._get_client()
    superset_id = _id(client.find("dashboard", "dashboard_title", TITLE)) or _build_dashboard(
        client, database_id, datasets
    )
    dashboards = env["superset.dashboard"]
    starters = env["superset.dashboard.starter"]._create()
    dashboards._sync_from_superset()
    superset_ids = [superset_id, *starters.created.values(), *starters.existing.values()]
    offered = dashboards.search([("superset_dashboard_id", "in", superset_ids)])
    offered.write(
        {
            "group_ids": [(6, 0, env.ref("superset_connector.group_superset_user").ids)],
            "show_chart_controls": True,
            "show_title": False,  # Odoo's breadcrumb already names it
        }
    )
    env.cr.commit()
    for dashboard in offered:
        print(
            f"DEMO dashboard {dashboard.name!r}: Superset id {dashboard.superset_dashboard_id}, "
            f"Odoo menu {dashboard.menu_id.complete_name}"
        )
    if starters.skipped or starters.failed:
        print(f"DEMO starter dashboards not built: {superset_content.describe(starters)}")


main(env)  # noqa: F821 (env is provided by odoo-bin shell)
