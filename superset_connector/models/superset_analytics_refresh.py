"""Materialized views kept fresh: one refresh cron each, refreshes ``CONCURRENTLY`` once
filled (readers are never blocked), under a PostgreSQL advisory lock (two workers never
refresh the same view), with lock and statement timeouts, and not at all when none of
their source tables changed since the last refresh."""

import json
import logging
import time

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from .superset_analytics_sql import LOCK_NAMESPACE, SCHEMA

_logger = logging.getLogger(__name__)

INTERVAL_FIELDS = {"refresh_interval_number", "refresh_interval_type"}


class SupersetAnalyticsRefresh(models.AbstractModel):
    """Mixed into superset.analytics.view, whose records it refreshes (it reads their
    ``name``, ``kind`` and ``state``)."""

    _name = "superset.analytics.refresh"
    _inherit = "superset.analytics.sql"
    _description = "Superset Analytics Refresh"

    # --- fields ---------------------------------------------------------------------
    refresh_interval_number = fields.Integer(string="Refresh Every", default=1)
    refresh_interval_type = fields.Selection(
        [("minutes", "Minutes"), ("hours", "Hours"), ("days", "Days"), ("weeks", "Weeks")],
        string="Refresh Unit",
        default="hours",
    )
    skip_unchanged = fields.Boolean(
        string="Skip When Unchanged",
        default=True,
        help="Refreshes do nothing while none of the view's source tables changed since the last refresh.",
    )
    cron_id = fields.Many2one("ir.cron", string="Refresh Cron", readonly=True, copy=False, ondelete="set null")
    last_refresh_date = fields.Datetime(readonly=True, copy=False, help="When the data was last refreshed.")
    last_check_date = fields.Datetime(
        readonly=True, copy=False, help="When a refresh last ran, whatever its outcome (refreshed, skipped, failed)."
    )
    last_refresh_status = fields.Selection(
        [("done", "Refreshed"), ("skipped", "Skipped: sources unchanged"), ("error", "Failed")],
        readonly=True,
        copy=False,
    )
    last_refresh_duration = fields.Float(string="Duration (s)", readonly=True, copy=False, digits=(16, 3))
    refresh_message = fields.Text(readonly=True, copy=False)
    row_count = fields.Integer(readonly=True, copy=False)
    source_fingerprint = fields.Text(
        readonly=True, copy=False, help="Change counters of the source tables at the last refresh."
    )
    refresh_running = fields.Boolean(
        string="Refreshing Now", compute="_compute_refresh_running", help="A worker is refreshing this view now."
    )

    # --- constraints ----------------------------------------------------------------
    @api.constrains("refresh_interval_number")
    def _check_refresh_interval(self):
        if any(view.refresh_interval_number < 1 for view in self):
            raise ValidationError(self.env._("The refresh interval is at least 1."))

    # --- computes -------------------------------------------------------------------
    def _compute_refresh_running(self):
        rows = self._execute(
            SQL(
                """SELECT objid::bigint FROM pg_locks
                    WHERE locktype = 'advisory' AND granted AND classid = %s::oid AND objsubid = 2
                      AND database = (SELECT oid FROM pg_database WHERE datname = current_database())""",
                LOCK_NAMESPACE,
            ),
            fetch="all",
        )
        running = {row[0] for row in rows}
        for view in self:
            view.refresh_running = view.id in running

    # --- overrides ------------------------------------------------------------------
    def write(self, vals):
        result = super().write(vals)
        if INTERVAL_FIELDS & set(vals):
            for view in self.filtered("cron_id"):
                view.cron_id.sudo().write(view._prepare_cron_interval_vals())
        return result

    # --- helpers: crons -------------------------------------------------------------
    def _prepare_cron_vals(self):
        """The refresh cron of this materialized view."""
        self.ensure_one()
        return {
            "name": f"Superset analytics: refresh {self.name}",
            "model_id": self.env["ir.model"]._get_id(self._name),
            "state": "code",
            "code": f"model._cron_refresh([{self.id}])",
            "user_id": self.env.ref("base.user_root").id,
            "active": True,
            **self._prepare_cron_interval_vals(),
        }

    def _prepare_cron_interval_vals(self):
        self.ensure_one()
        return {
            "interval_number": self.refresh_interval_number or 1,
            "interval_type": self.refresh_interval_type or "hours",
        }

    def _ensure_cron(self):
        self.ensure_one()
        if self.kind == "materialized" and not self.cron_id:
            self.cron_id = self.env["ir.cron"].sudo().create(self._prepare_cron_vals())

    def _remove_cron(self):
        """Delete the view's cron. One running right now cannot be deleted: it is left, and
        does nothing when it runs (_cron_refresh only refreshes installed views)."""
        self.ensure_one()
        if not self.cron_id:
            return
        try:
            with self.env.cr.savepoint():
                self.cron_id.sudo().unlink()
        except UserError as e:
            _logger.warning("Superset analytics: the refresh cron of %s is left: %s", self.name, e)

    @api.model
    def _cron_refresh(self, view_ids):
        """Entry point of the refresh crons. Re-reads which views are materialized and
        installed now, so a stale cron never touches a dropped or broken view."""
        views = self.browse(view_ids).exists().filtered(lambda v: v.kind == "materialized" and v.state == "installed")
        for view in views:
            view._refresh()

    # --- helpers: refresh -----------------------------------------------------------
    def _lock_key(self):
        self.ensure_one()
        return LOCK_NAMESPACE, self.id

    def _try_lock(self):
        """Take this view's refresh lock until the transaction ends; False if another
        transaction holds it."""
        return self._try_xact_lock(*self._lock_key())

    def _refresh(self, force=False):
        """Refresh this materialized view; returns "done", "skipped", "busy" or "error".

        Runs in the caller's transaction, in a savepoint: a failure is recorded on the
        record and rolled back alone. The advisory lock is a transaction lock: it is
        held until the caller commits, so a second worker trying the same view meanwhile
        gets "busy" (and writes nothing, not to conflict with the running refresh).
        """
        self.ensure_one()
        start = time.monotonic()
        values = {"last_check_date": fields.Datetime.now()}
        relation = SQL.identifier(SCHEMA, self.name)
        try:
            with self.env.cr.savepoint(flush=False):
                if not self._try_lock():
                    _logger.info("Superset analytics: %s is being refreshed by another worker", self.name)
                    return "busy"
                previous = self._set_timeouts(*self._timeouts())
                populated, fingerprint = self._populated_and_fingerprint()
                if not force and populated and self.skip_unchanged and fingerprint == self.source_fingerprint:
                    values.update(last_refresh_status="skipped", refresh_message=False)
                else:
                    self._execute(
                        SQL("REFRESH MATERIALIZED VIEW %s %s", SQL("CONCURRENTLY") if populated else SQL(), relation)
                    )
                    # Fresh planner statistics: REFRESH keeps none, and without them a query on
                    # the view is planned for a handful of rows.
                    self._execute(SQL("ANALYZE %s", relation))
                    row_count = self._execute(SQL("SELECT count(*) FROM %s", relation), fetch="one")[0]
                    values.update(
                        last_refresh_status="done",
                        last_refresh_date=values["last_check_date"],
                        row_count=row_count,
                        source_fingerprint=fingerprint,
                        refresh_message=self.env._("Concurrent refresh") if populated else self.env._("First fill"),
                    )
                self._set_timeouts(*previous)
        except UserError as e:
            values.update(last_refresh_status="error", refresh_message=str(e))
        values["last_refresh_duration"] = time.monotonic() - start
        self.write(values)
        _logger.info(
            "Superset analytics: %s %s in %.3f s",
            self.name,
            values["last_refresh_status"],
            values["last_refresh_duration"],
        )
        return values["last_refresh_status"]

    def _timeouts(self):
        """(lock_timeout, statement_timeout) in ms for refreshes, from the settings."""
        settings = self.env["superset.connector"]._get_settings()
        return settings.analytics_lock_timeout_ms, settings.analytics_statement_timeout_ms

    def _set_timeouts(self, lock_timeout, statement_timeout):
        """Set both timeouts for the rest of the transaction; returns the previous ones."""
        return self._execute(
            SQL(
                """SELECT current_setting('lock_timeout'), current_setting('statement_timeout'),
                          set_config('lock_timeout', %s, true), set_config('statement_timeout', %s, true)""",
                str(lock_timeout),
                str(statement_timeout),
            ),
            fetch="one",
        )[:2]

    def _populated_and_fingerprint(self):
        """Whether the materialized view holds data, and the change fingerprint of its sources.

        The sources are the tables PostgreSQL records the view's query as reading
        (pg_depend of its rewrite rule, through intermediate views). For each: its
        relfilenode (new after TRUNCATE, VACUUM FULL, CLUSTER) and its inserted, updated
        and deleted tuple counters - the cumulative ones plus this transaction's own.

        Why these counters rather than max(write_date) or triggers: they cost one catalog
        lookup per table whatever its size (max(write_date) scans tables without an
        index on it, and never sees deletes or SQL writes that skip write_date); they
        need nothing installed on Odoo's tables (a trigger would add a write to every
        order line and lock contention). Their limits, all on the safe side or bounded:
        counters of aborted transactions count too (a useless refresh); a committed
        change reaches the cumulative counters when its backend flushes its statistics
        (at transaction end, at most about a second late, up to ~60 s under contention),
        so a refresh starting in that window skips and the change is picked up by the
        next one; a statistics reset changes the fingerprint (one useless refresh). With
        track_counts off there are no counters: the fingerprint is then never equal and
        every refresh runs.
        """
        self.ensure_one()
        rows = self._execute(
            SQL(
                """
                WITH RECURSIVE source(oid) AS (
                    SELECT dep.refobjid
                      FROM pg_rewrite r JOIN pg_depend dep ON dep.objid = r.oid
                     WHERE r.ev_class = %(relation)s::regclass
                       AND dep.classid = 'pg_rewrite'::regclass AND dep.refclassid = 'pg_class'::regclass
                       AND dep.refobjid <> r.ev_class
                    UNION
                    SELECT dep.refobjid
                      FROM source
                      JOIN pg_class c ON c.oid = source.oid AND c.relkind = 'v'
                      JOIN pg_rewrite r ON r.ev_class = c.oid
                      JOIN pg_depend dep ON dep.objid = r.oid
                     WHERE dep.classid = 'pg_rewrite'::regclass AND dep.refclassid = 'pg_class'::regclass
                       AND dep.refobjid <> r.ev_class
                )
                SELECT c.oid::regclass::text, pg_relation_filenode(c.oid),
                       pg_stat_get_tuples_inserted(c.oid) + pg_stat_get_xact_tuples_inserted(c.oid),
                       pg_stat_get_tuples_updated(c.oid) + pg_stat_get_xact_tuples_updated(c.oid),
                       pg_stat_get_tuples_deleted(c.oid) + pg_stat_get_xact_tuples_deleted(c.oid)
                  FROM source JOIN pg_class c ON c.oid = source.oid
                 WHERE c.relkind IN ('r', 'm', 'p')
                 ORDER BY 1
                """,
                relation=f"{SCHEMA}.{self.name}",
            ),
            fetch="all",
        )
        populated, track_counts = self._execute(
            SQL(
                """SELECT ispopulated, current_setting('track_counts')::boolean
                     FROM pg_matviews WHERE schemaname = %s AND matviewname = %s""",
                SCHEMA,
                self.name,
            ),
            fetch="one",
        )
        fingerprint = json.dumps([list(row) for row in rows]) if track_counts else None
        return populated, fingerprint
