from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..services.rls import PLACEHOLDERS, ClauseTemplateError, validate_clause_template
from .user_messages import user_text


class SupersetRlsRule(models.Model):
    """A row-level-security clause a dashboard's guest tokens carry, on top of the
    company rule every token carries (services/rls.py): rules only ever narrow.

    Scoped to one dataset (Superset applies it to that dataset only) or, without a
    dataset, to every dataset a guest query of the dashboard reads.
    """

    _name = "superset.rls.rule"
    _description = "Superset Row-Level Security Rule"
    _order = "dashboard_id, sequence, id"

    # --- fields ---------------------------------------------------------------------
    dashboard_id = fields.Many2one("superset.dashboard", required=True, ondelete="cascade", index=True)
    dataset_id = fields.Many2one(
        "superset.dashboard.dataset",
        ondelete="cascade",
        domain="[('dashboard_id', '=', dashboard_id)]",
        help="Empty: the clause applies to every dataset of the dashboard, which must all have its columns "
        "(Superset refuses the queries of a dataset without them).",
    )
    superset_dataset_id = fields.Integer(
        related="dataset_id.superset_dataset_id", string="Superset Dataset ID", store=True
    )
    clause = fields.Char(
        required=True,
        help="SQL condition. Placeholders, filled in by Odoo with integers only: "
        + ", ".join(f"{{{p}}}" for p in PLACEHOLDERS)
        + ".",
    )
    active = fields.Boolean(default=True)
    sequence = fields.Integer(default=10)

    # --- the cache of the token route -------------------------------------------------
    # superset.guest.token reads a dashboard's rules from a cache (every token needs
    # them): any change of a rule, or of the datasets they name, clears it, in every
    # worker and server at their next request (Odoo's cache signalling).

    @api.model_create_multi
    def create(self, vals_list):
        self.env.registry.clear_cache()
        return super().create(vals_list)

    def write(self, vals):
        self.env.registry.clear_cache()
        return super().write(vals)

    def unlink(self):
        self.env.registry.clear_cache()
        return super().unlink()

    # --- constraints ----------------------------------------------------------------

    @api.constrains("clause")
    def _check_clause(self):
        for rule in self:
            try:
                validate_clause_template(rule.clause)
            except ClauseTemplateError as exc:
                raise ValidationError(
                    self.env._(
                        "Invalid clause %(clause)r: %(error)s", clause=rule.clause, error=user_text(self.env, exc)
                    )
                ) from exc

    @api.constrains("dataset_id", "dashboard_id")
    def _check_dataset(self):
        for rule in self:
            if rule.dataset_id and rule.dataset_id.dashboard_id != rule.dashboard_id:
                raise ValidationError(self.env._("A rule's dataset must be one of its dashboard's datasets."))
