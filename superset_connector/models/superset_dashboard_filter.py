import logging

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, ValidationError

from ..services import native_filters, refusals
from ..services.native_filters import SELECT, FilterSpec
from ..services.refusals import Refused
from .superset_dashboard import CLIENT_ACTION_TAG

_logger = logging.getLogger(__name__)

# The last field of a "Value from field" path: what a select filter's values can be.
VALUE_FIELD_TYPES = frozenset({"char", "text", "selection", "integer", "float", "many2one"})
# Fields of a line whose change must reach its binding (the dashboard's own: see write there).
BINDING_FIELDS = frozenset({"model_id", "value_field", "dashboard_id"})


class SupersetDashboardFilter(models.Model):
    """A native filter of a registered dashboard, as the last sync found it in Superset
    (_sync_for); a Superset Manager may say which records open the dashboard filtered on
    it ("Open from records"): the dashboard then appears in those records' Action menu
    (an ir.actions.client bound to the model, seen by the dashboard's groups), and
    _initial_data_mask sets the filter to the record's value."""

    _name = "superset.dashboard.filter"
    _description = "Superset Dashboard Filter"
    _order = "dashboard_id, sequence, id"

    # --- fields ---------------------------------------------------------------------
    dashboard_id = fields.Many2one("superset.dashboard", required=True, ondelete="cascade", index=True)
    filter_id = fields.Char(
        string="Filter ID", required=True, readonly=True, help="The native filter's id in Superset."
    )
    name = fields.Char(readonly=True)
    filter_type = fields.Char(readonly=True, help="Superset's type of the filter (filter_select, filter_time...).")
    column = fields.Char(readonly=True, help="The dataset column a select filter applies to.")
    superset_dataset_id = fields.Integer(string="Superset Dataset ID", readonly=True)
    inverse_selection = fields.Boolean(readonly=True, help="The filter excludes the values chosen.")
    sequence = fields.Integer(default=10)
    model_id = fields.Many2one(
        "ir.model",
        string="Open from records of",
        ondelete="cascade",
        help="The records whose Action menu opens this dashboard, filtered on their value.",
    )
    model = fields.Char(related="model_id.model", string="Model Name")
    value_field = fields.Char(
        string="Value from field",
        help="The field of those records whose value the filter takes: a field name such as name, or a path "
        "through many-to-one fields such as categ_id.name.",
    )
    action_id = fields.Many2one("ir.actions.client", readonly=True, copy=False, ondelete="set null")

    # --- constraints ----------------------------------------------------------------
    _sql_constraints = [
        ("filter_unique", "unique(dashboard_id, filter_id)", "A native filter is listed once per dashboard."),
        (
            "model_unique",
            "unique(dashboard_id, model_id)",
            "Records of one model open a dashboard from one of its filters only.",
        ),
    ]

    @api.constrains("model_id", "value_field", "filter_type")
    def _check_open_from(self):
        for line in self:
            if not line.model_id:
                continue
            if line.filter_type != SELECT:
                raise ValidationError(
                    self.env._(
                        "The filter %(name)s is not a list of values: only such a filter can be set from a record.",
                        name=line.name,
                    )
                )
            if not line.value_field:
                raise ValidationError(
                    self.env._(
                        "Say which field of %(model)s the filter %(name)s takes its value from.",
                        model=line.model_id.name,
                        name=line.name,
                    )
                )
            line._value_path_end()

    def _value_path_end(self):
        """The last field of value_field on the model; ValidationError in the user's terms if
        the path is not one a filter can take its value from."""
        self.ensure_one()
        model = self.env[self.model_id.model]
        steps = (self.value_field or "").strip().split(".")
        field = None
        for index, step in enumerate(steps):
            field = model._fields.get(step)
            if field is None:
                raise ValidationError(
                    self.env._(
                        "%(model)s has no field %(field)s (in %(path)s).",
                        model=model._description or model._name,
                        field=step or "''",
                        path=self.value_field,
                    )
                )
            last = index == len(steps) - 1
            if not last:
                if field.type != "many2one":
                    raise ValidationError(
                        self.env._(
                            "%(field)s is not a many-to-one field: only the last field of %(path)s may be of "
                            "another kind.",
                            field=step,
                            path=self.value_field,
                        )
                    )
                model = self.env[field.comodel_name]
            elif field.type not in VALUE_FIELD_TYPES:
                raise ValidationError(
                    self.env._(
                        "A filter cannot take its value from %(field)s: choose a text, selection, number or "
                        "many-to-one field.",
                        field=step,
                    )
                )
        return field

    # --- overrides ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines.filtered("model_id")._sync_bindings()
        return lines

    def write(self, vals):
        result = super().write(vals)
        if BINDING_FIELDS & vals.keys():
            self._sync_bindings()
        return result

    def unlink(self):
        actions = self.action_id
        result = super().unlink()
        actions.sudo().unlink()
        return result

    # --- the binding ------------------------------------------------------------------

    def _sync_bindings(self):
        """Each line's client action in its model's Action menu: there while the line has a
        model and its dashboard is active, seen by the dashboard's groups; else removed."""
        for line in self:
            dashboard = line.dashboard_id
            action = line.action_id.sudo()
            if not line.model_id or not dashboard.active:
                if action:
                    line.action_id = False
                    action.unlink()
                continue
            values = line._prepare_binding_values()
            if action.exists():
                action.write(values)
            else:
                line.action_id = self.env["ir.actions.client"].sudo().create(values)

    def _prepare_binding_values(self):
        self.ensure_one()
        dashboard = self.dashboard_id
        groups = dashboard.group_ids or self.env.ref("superset_connector.group_superset_user")
        return {
            "name": self.env._("Dashboard: %(name)s", name=dashboard.name),
            "tag": CLIENT_ACTION_TAG,
            "params": {"dashboard_id": dashboard.id},
            "binding_model_id": self.model_id.id,
            "binding_type": "action",
            "binding_view_types": "form",
            "groups_id": [Command.set(groups.ids)],
        }

    # --- sync -----------------------------------------------------------------------

    @api.model
    def _sync_for(self, dashboard, client):
        """Record the native filters of this dashboard in Superset; True if something changed."""
        metadata = client.dashboard(dashboard.superset_dashboard_id).get("json_metadata")
        try:
            return self._apply_configuration(dashboard, metadata)
        except ValueError as exc:  # json_metadata that is not JSON: keep what we had
            _logger.warning("Superset dashboard %s: native filters not read: %s", dashboard.superset_dashboard_id, exc)
            return False

    @api.model
    def _apply_configuration(self, dashboard, json_metadata):
        """Create, update and delete the dashboard's lines after its json_metadata; a line
        whose filter remains keeps its "Open from records" (cleared if the filter is no
        longer a list of values). True if something changed."""
        specs = native_filters.parse_configuration(json_metadata)
        Line = self.sudo()
        current = {line.filter_id: line for line in Line.search([("dashboard_id", "=", dashboard.id)])}
        changed = False
        for sequence, spec in enumerate(specs):
            values = {
                "name": spec.name,
                "filter_type": spec.filter_type,
                "column": spec.column or False,
                "superset_dataset_id": spec.dataset_id or False,
                "inverse_selection": spec.inverse,
                "sequence": sequence,
            }
            line = current.pop(spec.filter_id, None)
            if not line:
                Line.create({**values, "dashboard_id": dashboard.id, "filter_id": spec.filter_id})
                changed = True
                continue
            if spec.filter_type != SELECT and line.model_id:
                values.update(model_id=False, value_field=False)
            updates = {key: value for key, value in values.items() if line[key] != value}
            if updates:
                line.write(updates)
                changed = True
        if current:
            Line.browse([line.id for line in current.values()]).unlink()
            changed = True
        return changed

    def _spec(self):
        self.ensure_one()
        return FilterSpec(
            filter_id=self.filter_id,
            name=self.name or self.filter_id,
            filter_type=self.filter_type or "",
            column=self.column or None,
            dataset_id=self.superset_dataset_id or None,
            inverse=self.inverse_selection,
        )

    # --- opening a dashboard from a record -----------------------------------------------

    @api.model
    def _initial_data_mask(self, dashboard, record=None, companies=None):
        """({filter id: data mask entry}, remembered) the dashboard opens with: the user's
        remembered filters, then, when record ({"model", "id"}) is given, its filter set to
        the record's value, read as the user in the language of each company (companies:
        the token's, by default the active ones). Refused when the record cannot open it."""
        companies = self.env["res.company"].browse(companies or self.env.companies.ids)
        mask = self.env["superset.dashboard.user.filter"]._remembered(dashboard)
        remembered = bool(mask)
        if record is not None:
            line, values = self._record_values(dashboard, record, companies)
            mask[line.filter_id] = native_filters.select_entry(line._spec(), values)
        return mask, remembered

    @api.model
    def _record_values(self, dashboard, record, companies):
        """(the line, the sorted values) of the filter that record opens the dashboard on."""
        model, record_id = _record_reference(record)
        line = model and self.sudo().search(
            [("dashboard_id", "=", dashboard.id), ("model_id.model", "=", model)], limit=1
        )
        if not line or model not in self.env:
            raise Refused(
                refusals.RECORD_NOT_LINKED,
                self.env._("This dashboard does not open from these records: a Superset Manager can set it up."),
            )
        not_allowed = Refused(
            refusals.RECORD_NOT_ALLOWED,
            self.env._("You are not allowed to read this record, so the dashboard cannot be filtered on it."),
        )
        try:
            found = self.env[model].with_context(allowed_company_ids=companies.ids).browse(record_id).exists()
            if not found:
                raise not_allowed
            found.check_access("read")
            values = set()
            is_relation = line._value_path_end().type == "many2one"
            for lang in _languages(companies, self.env.user):
                read = found.with_context(lang=lang).mapped(line.value_field)
                values.update(read.mapped("display_name") if is_relation else read)
        except AccessError as exc:
            raise not_allowed from exc
        values = sorted(value for value in values if value is not None and value is not False and value != "")
        if not values:
            raise Refused(
                refusals.RECORD_NOT_LINKED,
                self.env._("This record has no value for the filter %(name)s.", name=line.name),
            )
        return line, values[: native_filters.MAX_VALUES]


def _record_reference(record):
    """(model, id) of the route's record {"model": str, "id": int}, or (None, None)."""
    if not isinstance(record, dict):
        return None, None
    model, record_id = record.get("model"), record.get("id")
    if not isinstance(model, str) or not isinstance(record_id, int) or isinstance(record_id, bool) or record_id <= 0:
        return None, None
    return model, record_id


def _languages(companies, user):
    """The languages of the companies (their partners'), or the user's: the analytics views
    name things in each company's language."""
    langs = []
    for lang in companies.sudo().partner_id.mapped("lang"):
        if lang and lang not in langs:
            langs.append(lang)
    return langs or [user.lang or "en_US"]
