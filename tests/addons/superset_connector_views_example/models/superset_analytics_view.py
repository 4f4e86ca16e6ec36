from odoo import models
from odoo.tools import SQL

# The months of vw_sale_period are vw_sale_monthly and its materialized twin.
MONTHLY = ("vw_sale_monthly", "mv_sale_monthly")


class SupersetAnalyticsView(models.Model):
    """Confirmed orders with a discount, a KPI of the sales periods shown in the monthly
    sales views: added to vw_sale_period (an aggregate over its order lines), then
    selected by the views of its months."""

    _inherit = "superset.analytics.view"

    def _sql_extra_columns(self):
        columns = super()._sql_extra_columns()
        if self.name == "vw_sale_period":
            columns["discounted_orders"] = SQL(
                "count(DISTINCT s.id) FILTER (WHERE s.state = %s AND l.discount > 0)", "sale"
            )
        elif self.name in MONTHLY:
            columns["discounted_orders"] = SQL.identifier("discounted_orders")
        return columns
