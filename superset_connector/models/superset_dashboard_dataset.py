import json

from odoo import api, fields, models

from ..services.rls import COMPANY_COLUMN, SHARED_COMPANY_ID


class SupersetDashboardDataset(models.Model):
    """A Superset dataset a dashboard reads (through a chart or a native filter), as
    found by the last sync (_sync_for). Safety does not depend on this list: every guest
    token carries the company rule for all datasets, and Superset fails the queries of
    one without a company_id column. The list tells managers which charts fail, and is
    what a rule scoped to one dataset picks from."""

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

    # --- the token route's cache of rules (superset.guest.token._dashboard_rules) ----

    def write(self, vals):
        if "superset_dataset_id" in vals:  # the rules on this dataset now name another one
            self.env.registry.clear_cache()
        return super().write(vals)

    def unlink(self):
        if self.rule_ids:  # deleted with the dataset, by the database
            self.env.registry.clear_cache()
        return super().unlink()

    # --- sync -----------------------------------------------------------------------

    @api.model
    def _sync_for(self, dashboard, client):
        """Record the datasets this dashboard reads in Superset (charts and native
        filters). Writes only what changed; returns True if something did."""
        found = self._fetch_for(dashboard, client)
        changed = False
        Dataset = self.sudo()
        current = {d.superset_dataset_id: d for d in dashboard.sudo().dataset_ids}
        for dataset_id, info in found.items():
            dataset = current.pop(dataset_id, None)
            if not dataset:
                Dataset.create({**info, "dashboard_id": dashboard.id, "superset_dataset_id": dataset_id})
                changed = True
                continue
            updates = {k: v for k, v in info.items() if dataset[k] != v}
            if updates:
                dataset.write(updates)
                changed = True
        if current:
            Dataset.browse([d.id for d in current.values()]).unlink()
            changed = True
        return changed

    @api.model
    def _fetch_for(self, dashboard, client):
        """{dataset id: {name, has_company_column, used_by}} of a dashboard, from Superset."""
        found = {}
        for dataset in client.dashboard_datasets(dashboard.superset_dashboard_id):
            columns = dataset.get("column_names") or [c["column_name"] for c in dataset.get("columns", [])]
            found[dataset["id"]] = {
                "name": dataset.get("name") or dataset.get("table_name") or str(dataset["id"]),
                "columns": columns,
                "used_by": "charts",
            }
        metadata = json.loads(client.dashboard(dashboard.superset_dashboard_id).get("json_metadata") or "{}")
        for native_filter in metadata.get("native_filter_configuration", []):
            for target in native_filter.get("targets", []):
                dataset_id = target.get("datasetId")
                if dataset_id and dataset_id not in found:
                    found[dataset_id] = {"name": None, "columns": None, "used_by": "filters"}
        for dataset_id, info in found.items():
            if info["columns"] is None or COMPANY_COLUMN not in info["columns"]:
                # Not listed, or the dashboard endpoint trimmed the columns: ask the dataset itself.
                detail = client.dataset(dataset_id)
                info["columns"] = [c["column_name"] for c in detail.get("columns", [])]
                schema = detail.get("schema")
                info["name"] = info["name"] or (f"{schema}.{detail['table_name']}" if schema else detail["table_name"])
            info["has_company_column"] = COMPANY_COLUMN in info.pop("columns")
        return found
