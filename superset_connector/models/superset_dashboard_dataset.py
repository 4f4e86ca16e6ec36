from odoo import api, fields, models

from ..services.rls import DEFAULT_COMPANY_CLAUSE

COMPANY_COLUMN = "company_id"


class SupersetDashboardDataset(models.Model):
    """A Superset dataset a dashboard reads (through a chart or a native filter), as
    found by the last sync: whether a company rule can filter it, or a manager said it
    holds no company data. Tokens are refused while one is left unfiltered."""

    _name = "superset.dashboard.dataset"
    _description = "Dataset of a Superset Dashboard"
    _order = "dashboard_id, name, id"

    # --- fields ---------------------------------------------------------------------
    dashboard_id = fields.Many2one("superset.dashboard", required=True, ondelete="cascade", index=True)
    superset_dataset_id = fields.Integer(string="Superset Dataset ID", required=True, readonly=True)
    name = fields.Char(readonly=True)
    has_company_column = fields.Boolean(
        readonly=True, help=f"The dataset has a {COMPANY_COLUMN} column, so the company rule filters it."
    )
    used_by = fields.Selection(
        [("charts", "Charts"), ("filters", "Native filters only")], readonly=True, default="charts"
    )
    no_company_data = fields.Boolean(
        string="Holds no company data",
        help="A manager confirms that every user may see all of this dataset's rows: it is then left "
        "unfiltered. Until then, a dataset no rule filters blocks the dashboard's tokens.",
    )
    rule_ids = fields.One2many("superset.rls.rule", "dataset_id", string="Rules")
    filter_state = fields.Selection(
        [("filtered", "Filtered"), ("no_company_data", "No company data"), ("unfiltered", "Unfiltered: blocks")],
        compute="_compute_filter_state",
    )

    # --- constraints ----------------------------------------------------------------
    _sql_constraints = [
        ("dataset_unique", "unique(dashboard_id, superset_dataset_id)", "A dataset is listed once per dashboard."),
    ]

    # --- computes -------------------------------------------------------------------

    @api.depends("no_company_data", "rule_ids.active", "dashboard_id.rls_rule_ids.active")
    def _compute_filter_state(self):
        for dataset in self:
            rules = dataset.dashboard_id.rls_rule_ids
            if not dataset._unfiltered_by(rules, ignore_marks=True):
                dataset.filter_state = "filtered"
            else:
                dataset.filter_state = "no_company_data" if dataset.no_company_data else "unfiltered"

    def _unfiltered_by(self, rules, ignore_marks=False):
        """The datasets among self that none of these (active) rules filters and that are
        not marked as holding no company data. A rule without dataset covers them all."""
        active = rules.filtered("active")
        if any(not rule.dataset_id for rule in active):
            return self.browse()
        covered = set(active.dataset_id.ids)
        return self.filtered(lambda d: d.id not in covered and (ignore_marks or not d.no_company_data))

    # --- helpers --------------------------------------------------------------------

    def _ensure_default_rule(self):
        """The company rule on a dataset with a company_id column; no default rule on one
        without it (the clause would break its queries). True when something changed."""
        self.ensure_one()
        rules = self.with_context(active_test=False).rule_ids
        if self.has_company_column and not rules:
            self.env["superset.rls.rule"].sudo().create(self._prepare_default_rule_values())
            return True
        defaults = rules.filtered("is_default")
        if not self.has_company_column and defaults:
            defaults.sudo().unlink()
            return True
        return False

    def _prepare_default_rule_values(self):
        return {
            "dashboard_id": self.dashboard_id.id,
            "dataset_id": self.id,
            "clause": DEFAULT_COMPANY_CLAUSE,
            "is_default": True,
        }
