"""The analytics views as Superset sees them: one database connection that logs in as
the read-only role, one dataset per installed view (services/analytics_provisioning.py),
and charts recomputed after each refresh of a materialized view (services/superset_cache.py),
once the standby Superset may read has replayed it (services/standby.py)."""

import logging
from datetime import timedelta

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..services.analytics_provisioning import DatabaseTarget, provision
from ..services.errors import SupersetError
from ..services.standby import ReplayProbe, StandbyUnreachable, latest_lsn, retry_delay, wait_for_replay
from ..services.superset_cache import expire_cached_charts
from .superset_analytics_sql import SCHEMA
from .superset_connector import ADMINISTRATOR
from .user_messages import CLOSE, notification, user_errors, user_text

_logger = logging.getLogger(__name__)

DATABASE_ID_PARAM = "superset_connector.analytics_database_id"
EXPIRE_AFTER_COMMIT = "superset_connector.expire_superset_charts"
# A view whose refresh Superset has heard of.
CHARTS_TOLD = {
    "superset_charts_stale": False,
    "superset_charts_message": False,
    "superset_charts_lsn": False,
    "superset_charts_pending_since": False,
}


class SupersetAnalyticsSuperset(models.AbstractModel):
    """Mixed into superset.analytics.view: its "Connect Superset" button, the dataset of
    each view, and telling Superset that a refresh changed a view's figures (the view
    calls ``_superset_charts_refreshed`` after each refresh that changed data and
    ``_expire_stale_superset_charts`` at every refresh run)."""

    _name = "superset.analytics.superset"
    _inherit = "superset.analytics.role"
    _description = "Superset Analytics in Superset"

    # --- fields ---------------------------------------------------------------------
    superset_dataset_id = fields.Integer(
        string="Superset Dataset ID",
        readonly=True,
        copy=False,
        help='The Superset dataset reading this view, made by "Connect Superset".',
    )
    superset_charts_stale = fields.Boolean(
        readonly=True,
        copy=False,
        help="Refreshed data that Superset's cached charts may not show yet: Superset is told after the refresh "
        "is committed, and again at every refresh run until it answers.",
    )
    superset_charts_message = fields.Text(string="Superset Charts", readonly=True, copy=False)
    superset_charts_lsn = fields.Char(
        string="Refresh WAL Position",
        readonly=True,
        copy=False,
        help="Where the primary's WAL was once the last refresh had been committed. When Superset reads a "
        "standby, Superset is told only once the standby has replayed that far: told earlier, it would "
        "compute its charts from the older data again, and cache them.",
    )
    superset_charts_pending_since = fields.Datetime(
        string="Waiting for the Standby Since",
        readonly=True,
        copy=False,
        help="When the standby Superset reads began to be waited for (the first refresh it had not replayed).",
    )

    # --- actions --------------------------------------------------------------------
    @api.model
    def action_provision_superset(self):
        """Make Superset read the analytics schema: (re)apply the read-only role, create or
        update the Superset database connection that logs in as it, and a dataset per
        installed view. Administrators only; run again after installing an app."""
        self.env["superset.connector"]._check_access(
            ADMINISTRATOR, self.env._("Only administrators connect Superset to the analytics views.")
        )
        views = self.env["superset.analytics.view"].sudo().search([("state", "=", "installed")])
        if not views:
            raise UserError(
                self.env._(
                    "No analytics view is installed yet: install an app such as Sales or Invoicing, "
                    "then click Synchronise views."
                )
            )
        target = self._superset_database_target()
        client = self.env["superset.connector"]._get_client()
        with user_errors(self.env):
            known = self._superset_database_id()
            report = provision(client, target, views.mapped("name"), known_database_id=known, progress=_logger.info)
        self.env["ir.config_parameter"].sudo().set_param(DATABASE_ID_PARAM, report.database_id)
        for view in views:
            if view.name in report.datasets and view.superset_dataset_id != report.datasets[view.name]:
                view.superset_dataset_id = report.datasets[view.name]
        message = self.env._(
            "Superset database %(name)s (id %(id)s) reads schema %(schema)s as role %(role)s: "
            "%(created)s dataset(s) created, %(refreshed)s refreshed.",
            name=target.name,
            id=report.database_id,
            schema=SCHEMA,
            role=target.username,
            created=len(report.created),
            refreshed=len(report.refreshed),
        )
        if report.failed:
            failed = "; ".join(f"{table}: {user_text(self.env, error)}" for table, error in report.failed.items())
            return notification(
                self.env._("%(message)s Not created: %(failed)s", message=message, failed=failed),
                "warning",
                sticky=False,
                then=CLOSE,
            )
        return notification(message, "success", sticky=False, then=CLOSE)

    # --- helpers: charts recomputed after a refresh ----------------------------------
    def _superset_charts_refreshed(self):
        """These views' data changed: Superset's cached charts on them are stale until it is told
        (of this refresh: the WAL position to wait for is taken again after its commit)."""
        self.write({"superset_charts_stale": True, "superset_charts_lsn": False})
        self._expire_superset_charts_after_commit()

    @api.model
    def _expire_stale_superset_charts(self):
        """Tell Superset about every view whose refresh it did not hear of yet."""
        views = self.env["superset.analytics.view"].search([("superset_charts_stale", "=", True)])
        views._expire_superset_charts_after_commit()

    def _expire_superset_charts_after_commit(self):
        """Tell Superset once the refreshed data is committed: before that, a chart
        recomputed in between would cache the old figures again."""
        if not self:
            return
        cr = self.env.cr
        ids = cr.postcommit.data.get(EXPIRE_AFTER_COMMIT)
        if ids is None:
            ids = cr.postcommit.data[EXPIRE_AFTER_COMMIT] = set()
            registry = self.env.registry

            @cr.postcommit.add
            def expire():
                try:
                    with registry.cursor() as new_cr:
                        views = api.Environment(new_cr, SUPERUSER_ID, {})[self._name].browse(sorted(ids)).exists()
                        views._expire_superset_charts()
                except Exception:  # the caller's work is committed: it must not fail now
                    _logger.exception("Superset analytics: could not tell Superset about refreshed views")

        ids.update(self.ids)

    def _expire_superset_charts(self):
        """Make Superset recompute the cached charts reading these refreshed views, once the
        standby it may read has replayed their refresh (the others stay stale, retried)."""
        views = self.filtered("superset_charts_stale")
        if not views:
            return
        database_id = self._superset_database_id()
        if not self.env["superset.connector"]._get_settings().server_url or not database_id:
            # Superset was never connected to the views: no chart of its reads them.
            views.write(CHARTS_TOLD)
            return
        views -= views._superset_charts_awaiting_standby()
        if not views:
            return
        stamp = fields.Datetime.now().isoformat() + "Z"
        try:
            # No retries: what fails now is tried again at the next refresh run.
            client = self.env["superset.connector"]._get_client(interactive=True)
            report = expire_cached_charts(client, database_id, SCHEMA, views.mapped("name"), stamp)
        except SupersetError as exc:
            views.write({"superset_charts_message": views._stale_charts_message(exc)})
            _logger.warning("Superset analytics: charts of %s not expired: %s", ", ".join(views.mapped("name")), exc)
            return
        failed = views.filtered(lambda v: v.name in report.failed)
        (views - failed).write(CHARTS_TOLD)
        for view in failed:  # stays stale: told again at the next refresh run
            view.superset_charts_message = view._stale_charts_message(report.failed[view.name])
        _logger.info("Superset analytics: charts expired in Superset for %s", report.expired)

    def _superset_charts_awaiting_standby(self):
        """The views whose refresh the standby Superset reads has not replayed yet: they keep
        their pending WAL position, say why on the view, and are tried again soon.

        Superset reads Odoo's own server unless the analytics host or port is set for it
        (SUPERSET_CONNECTOR_ANALYTICS_DB_HOST / _PORT): then nothing is asked or waited
        for, as before standbys. When set, that server is asked, as the read-only role,
        whether it is a standby and how far it has replayed; a primary has everything.
        """
        settings = self.env["superset.connector"]._get_settings()
        if not (settings.analytics_db_host or settings.analytics_db_port):
            return self.browse()
        now = fields.Datetime.now()
        missing = self.filtered(lambda v: not v.superset_charts_lsn)
        if missing:
            # After the refresh's commit (this runs after it, or at a later retry): the WAL
            # position the standby must have replayed to show the refreshed data.
            missing.superset_charts_lsn = self._execute(SQL("SELECT pg_current_wal_lsn()::text"), fetch="one")[0]
        self.filtered(lambda v: not v.superset_charts_pending_since).superset_charts_pending_since = now
        host, port = self._analytics_db_address()
        address = f"{host}:{port}"
        probe = ReplayProbe(host, port, self.env.cr.dbname, self._readonly_role_name(), settings.analytics_db_password)
        try:
            with probe:
                state = wait_for_replay(probe.replay_state, latest_lsn(self.mapped("superset_charts_lsn")))
        except StandbyUnreachable as exc:
            _logger.warning("Superset analytics: the analytics database %s does not answer: %s", address, exc)
            message = self.env._(
                "Odoo cannot reach the analytics database at %(address)s that Superset reads (%(error)s), so it "
                "cannot tell whether it has replayed the last refresh: Superset is told once it answers and has. "
                "Until then Superset may show the older figures. That address must answer from the Odoo server "
                "too. Odoo tries again shortly.",
                address=address,
                error=str(exc),
            )
            self.write({"superset_charts_message": message})
            self._retry_superset_charts(now)
            return self
        waiting = self.filtered(lambda v: not state.reached(v.superset_charts_lsn))
        max_lag = settings.analytics_standby_max_lag
        after_wait = fields.Datetime.now()
        for view in waiting:
            waited = int((after_wait - view.superset_charts_pending_since).total_seconds())
            if waited >= max_lag:
                view.superset_charts_message = self.env._(
                    "The standby at %(address)s has not replayed the refresh for %(seconds)s s (it is at "
                    "%(replayed)s, the refresh at %(target)s): Superset, which reads it, still shows the older "
                    "figures. Check the replication on the primary (SELECT * FROM pg_stat_replication: is the "
                    "standby connected, how far is its replay_lsn?) and that replay is not paused on the standby "
                    "(SELECT pg_is_wal_replay_paused()). Superset is told as soon as the standby has replayed it.",
                    address=address,
                    seconds=waited,
                    replayed=state.replay_lsn or "-",
                    target=view.superset_charts_lsn,
                )
            else:
                view.superset_charts_message = self.env._(
                    "Waiting for the standby at %(address)s to replay the refresh (it is at %(replayed)s, the "
                    "refresh at %(target)s): Superset is told once it has, so that its charts are not computed "
                    "from the older data again.",
                    address=address,
                    replayed=state.replay_lsn or "-",
                    target=view.superset_charts_lsn,
                )
        if waiting:
            _logger.info(
                "Superset analytics: the standby %s (at %s) has not replayed the refresh of %s yet",
                address,
                state.replay_lsn,
                ", ".join(waiting.mapped("name")),
            )
            waiting._retry_superset_charts(now)
        return waiting

    def _retry_superset_charts(self, now):
        """Run these views' refresh crons again soon: a run also tells Superset about the
        views still stale (and refreshes nothing when their sources did not change)."""
        for view in self.filtered("cron_id"):
            waited = (now - (view.superset_charts_pending_since or now)).total_seconds()
            view.cron_id.sudo()._trigger(at=now + timedelta(seconds=retry_delay(waited)))

    def _stale_charts_message(self, error):
        return self.env._(
            "Superset may still show the figures from before the last refresh: %(error)s "
            "Odoo tells it again at the next refresh run.",
            error=user_text(self.env, error),
        )

    # --- helpers: the Superset database connection -----------------------------------
    @api.model
    def _superset_database_id(self):
        """Superset's id of the analytics connection "Connect Superset" made; 0 before."""
        return self.env["superset.connector"]._get_settings().analytics_database_id

    @api.model
    def _superset_database_name(self):
        name = self.env["superset.connector"]._get_settings().analytics_database_name
        return name or f"Odoo analytics ({self.env.cr.dbname})"

    @api.model
    def _superset_database_target(self):
        """The role made ready and committed (Superset logs in from its own connection,
        which sees only committed roles), and where Superset finds it."""
        with self.env.registry.cursor() as cr:
            # A caller's transaction holding a lock on an analytics view (a refresh not
            # yet committed) would wait for this one forever: give up after a while.
            cr.execute("SET LOCAL lock_timeout = '15s'")
            views = self.with_env(self.env(cr=cr, su=True))
            params = views._superset_database_params()  # generates the password when there is none
            role = params["username"]
            if views._may_manage_roles():
                views._apply_readonly_role(role, params["password"])
            elif not views._role_exists(role):
                raise UserError(
                    self.env._(
                        "PostgreSQL role %(role)s does not exist and Odoo's database user may not create roles. "
                        "Ask your DBA to run sql_views/readonly_role.sql of the superset_connector module, "
                        "then give Odoo the role's password (SUPERSET_CONNECTOR_ANALYTICS_DB_PASSWORD).",
                        role=role,
                    )
                )
        return DatabaseTarget(
            name=self._superset_database_name(),
            host=params["host"],
            port=params["port"],
            database=params["database"],
            username=params["username"],
            password=params["password"],
            schema=params["schema"],
        )
