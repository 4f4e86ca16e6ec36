from odoo import api, fields, models

from ..services.rls import COMPANY_COLUMN, SHARED_COMPANY_ID


class SupersetDashboardDataset(models.Model):
    """A Superset dataset a dashboard reads (through a chart or a native filter), as
    found by the last sync. Safety does not depend on this list: every guest token
    carries the company rule for all datasets, and Superset fails the queries of one
    without a company_id column. The list tells managers which charts fail, and is what
    a rule scoped to one dataset picks from."""

    _name = "superset.dashboard.dataset"
    _description = "Dataset of a Superset Dashboard"
    _order = "dashboard_id, name, id"

    # --- fields ---------------------------------------------------------------------
    dashboard_id = fields.Many2one("superset.dashboard", required=True, ondelete="cascade", index=True)
    superset_dataset_id = fields.Integer(string="Superset Dataset ID", required=True, readonly=True)
    name = fields.Char(readonly=True)
    has_company_column = fields.Boolean(
        readonly=True,
        help=f"The dataset has a {COMPANY_COLUMN} column, so the company rule filters it. Without one, "
        "Superset refuses its charts' queries for Odoo users.",
    )
    used_by = fields.Selection(
        [("charts", "Charts"), ("filters", "Native filters only")], readonly=True, default="charts"
    )
    rule_ids = fields.One2many("superset.rls.rule", "dataset_id", string="Rules")
    filter_state = fields.Selection(
        [("filtered", "Filtered by company"), ("fails", "No company_id: its charts fail")],
        compute="_compute_filter_state",
        help=f"Rows every company may see carry {COMPANY_COLUMN} {SHARED_COMPANY_ID}.",
    )

    # --- constraints ----------------------------------------------------------------
    _sql_constraints = [
        ("dataset_unique", "unique(dashboard_id, superset_dataset_id)", "A dataset is listed once per dashboard."),
    ]

    # --- computes -------------------------------------------------------------------

    @api.depends("has_company_column")
    def _compute_filter_state(self):
        for dataset in self:
            dataset.filter_state = "filtered" if dataset.has_company_column else "fails"
