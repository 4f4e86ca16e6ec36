"""End to end, with odoo-bin and psql on a real database: the analytics views follow apps
installed and uninstalled after the addon, the read-only role works for a real login,
the starter dashboards show each user their companies' figures, and uninstalling the
addon leaves no SQL object behind.

The tests share one database (a copy of the apps template with the addon installed); each
one sets up what it needs, so any of them runs alone.
"""

import json
import os
import subprocess

import pytest
import requests
import superset_fixtures
from analytics_e2e import analytics_database
from analytics_e2e import provision_script as _provision_script
from analytics_e2e import relations as _relations
from analytics_e2e import shell as _shell
from analytics_e2e import shell_json as _shell_json
from analytics_e2e import sql as _sql
from analytics_e2e import states as _states

from odoo.addons.superset_connector.services import analytics_provisioning, superset_content
from odoo.addons.superset_connector.services.superset_client import SupersetClient

from devstack import odoo as odoo_stack
from devstack import postgres, settings
from devstack import superset as superset_stack
from devstack.procs import free_port

REPO = settings.REPO
SCHEMA = "superset_analytics"


def _as_role(db, role, sql, read_write=False):
    """Run sql in a session of role; (succeeded, output). read_write: the session starts
    with the role's read-only default switched off, so only privileges can refuse."""
    env = dict(os.environ, PGHOST=settings.pg_host(), PGPORT=str(settings.pg_port()), PGUSER=role, PGPASSWORD="")
    if read_write:
        env["PGOPTIONS"] = "-c default_transaction_read_only=off"
    result = subprocess.run(
        ["psql", "-X", "-w", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", sql],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return result.returncode == 0, (result.stdout + result.stderr).strip()


@pytest.fixture(scope="module")
def analytics_db(stack, e2e_dir):
    with analytics_database(stack, e2e_dir, "analytics") as db:
        yield db
    postgres.psql(f'DROP ROLE IF EXISTS "sc_analytics_dba_{os.getpid()}"', user="postgres", password="", check=False)


def _check_readonly_login(db, role, views):
    """A real session of the role: it reads the views, nothing else, and writes nothing."""
    for view in views:
        # view: a relation name read from pg_class (test data, not input)
        assert _as_role(db, role, f"SELECT count(*) FROM superset_analytics.{view}")[0], view  # noqa: S608
    assert _as_role(db, role, "SHOW default_transaction_read_only") == (True, "on")
    for statement in (
        "SELECT login FROM public.res_users LIMIT 1",
        "SELECT value FROM public.ir_config_parameter LIMIT 1",
    ):
        ok, output = _as_role(db, role, statement)
        assert not ok and "permission denied" in output, statement
    # Even in a read-write session, PostgreSQL refuses every write for lack of privilege.
    assert _as_role(db, role, "SHOW default_transaction_read_only", read_write=True) == (True, "off")
    for statement in (
        "CREATE TABLE public.sc_intruder (id int)",
        f"CREATE TABLE {SCHEMA}.sc_intruder (id int)",
        "UPDATE res_company SET name = 'x'",
        f"REFRESH MATERIALIZED VIEW {SCHEMA}.mv_sale_monthly",
    ):
        ok, output = _as_role(db, role, statement, read_write=True)
        assert not ok and ("permission denied" in output or "must be owner" in output), (statement, output)


def test_readonly_role_logs_in_and_reads_only_the_views(stack, analytics_db, e2e_dir):
    """The role made by the "Create read-only role" action and the one made by the DBA
    script sql_views/readonly_role.sql both log in, SELECT every analytics view, and are
    refused res_users, ir_config_parameter and any write; the action hands the Superset
    provisioning this role, database and schema."""
    output = _shell(
        stack,
        analytics_db,
        e2e_dir,
        "role",
        "import json\n"
        "Views = env['superset.analytics.view']\n"
        "Views.action_create_readonly_role()\n"
        "env.cr.commit()\n"
        "params = Views._superset_database_params()\n"
        "print('RESULT ' + json.dumps({k: v for k, v in params.items() if k != 'password'}))\n",
    )
    params = _shell_json(output)
    assert params["username"] == f"{analytics_db}_superset_ro"
    assert (params["database"], params["schema"], params["password_source"]) == (
        analytics_db,
        SCHEMA,
        "database",
    )
    views = [name for name, kind in _relations(analytics_db).items()]
    assert "mv_sale_monthly" in views
    _check_readonly_login(analytics_db, params["username"], views)

    dba_role = f"sc_analytics_dba_{os.getpid()}"
    script = REPO / "superset_connector" / "sql_views" / "readonly_role.sql"
    env = dict(os.environ, PGHOST=settings.pg_host(), PGPORT=str(settings.pg_port()), PGUSER="postgres")
    env.pop("PGPASSWORD", None)
    subprocess.run(
        [
            *("psql", "-X", "-q", "-d", analytics_db, "-f", str(script)),
            *("-v", f"role={dba_role}", "-v", f"odoo_role={settings.db_user()}"),
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    _check_readonly_login(analytics_db, dba_role, views)


class SqlLab:
    """Superset's SQL Lab as a user runs it (plain requests: a refused query may come back
    as HTTP 500, which the connector's client would retry and report as unavailable)."""

    def __init__(self, url, user, password):
        self.url = url
        self.session = requests.Session()
        login = {"username": user, "password": password, "provider": "db", "refresh": True}
        token = self.session.post(f"{url}/api/v1/security/login", json=login, timeout=30).json()["access_token"]
        self.session.headers.update(Authorization=f"Bearer {token}", Accept="application/json")
        csrf = self.session.get(f"{url}/api/v1/security/csrf_token/", timeout=30).json()["result"]
        self.session.headers.update({"X-CSRFToken": csrf, "Referer": url})

    def run(self, database_id, sql):
        """(ok, rows or Superset's error message)."""
        body = {"database_id": database_id, "sql": sql, "runAsync": False, "schema": SCHEMA}
        response = self.session.post(f"{self.url}/api/v1/sqllab/execute/", json=body, timeout=60)
        payload = response.json()
        if response.status_code == 200 and payload.get("status") == "success":
            return True, payload["data"]
        errors = payload.get("errors") or [{"message": payload.get("message", "")}]
        return False, " ".join(str(error.get("message", "")) for error in errors)


# What Superset's session may read (current_user and pg_stat_activity are on Superset's
# list of refused names; has_table_privilege answers for the session's role).
PRIVILEGES = (
    "SELECT has_table_privilege('public.res_users', 'SELECT') AS odoo_table, "
    "has_table_privilege('superset_analytics.mv_sale_monthly', 'SELECT') AS analytics_view"
)
READ_ONLY_ROLE = (True, [{"odoo_table": False, "analytics_view": True}])


def test_superset_reads_the_views_as_the_readonly_role(stack, analytics_db, e2e_dir, superset):
    """ "Connect Superset" creates a Superset database connection that logs in as the
    read-only role and a dataset per installed view. Through it (Superset's SQL Lab, a
    real PostgreSQL session opened by Superset) the views are readable and res_users and
    ir_config_parameter are not. A second run updates the same connection and creates no
    dataset twice; a PostgreSQL that Superset cannot reach is reported with the fix and
    leaves the working connection as it was."""
    user, password = settings.superset_admin()
    first = _shell_json(
        _shell(stack, analytics_db, e2e_dir, "superset-1", _provision_script(superset.url, user, password))
    )
    assert first.get("type") == "success", first
    role = f"{analytics_db}_superset_ro"
    client = SupersetClient(superset.url, user, password, retries=0)
    database = client.get_json(f"/api/v1/database/{first['database_id']}/connection")["result"]
    assert database["database_name"] == f"Odoo analytics ({analytics_db})"
    assert f"//{role}:XXXXXXXXXX@{settings.pg_host()}:{settings.pg_port()}/{analytics_db}" in database["sqlalchemy_uri"]
    assert database["allow_dml"] is False
    installed = set(_relations(analytics_db))
    assert set(first["datasets"]) == installed and all(first["datasets"].values())
    listed = {d["table_name"]: d for d in analytics_provisioning.list_datasets(client, first["database_id"])}
    assert set(listed) == installed
    assert {d["schema"] for d in listed.values()} == {SCHEMA}
    assert {name: d["id"] for name, d in listed.items()} == first["datasets"]

    sqllab = SqlLab(superset.url, user, password)
    assert sqllab.run(first["database_id"], PRIVILEGES) == READ_ONLY_ROLE
    ok, rows = sqllab.run(first["database_id"], "SELECT count(*) AS n FROM superset_analytics.mv_sale_monthly")
    assert ok and rows[0]["n"] >= 0, rows
    for denied in (
        "SELECT login FROM public.res_users LIMIT 1",
        "SELECT value FROM public.ir_config_parameter LIMIT 1",
    ):
        ok, message = sqllab.run(first["database_id"], denied)
        assert not ok and "permission denied" in message, (denied, message)
    ok, message = sqllab.run(first["database_id"], "UPDATE public.res_company SET name = 'x'")
    assert not ok, message

    second = _shell_json(
        _shell(stack, analytics_db, e2e_dir, "superset-2", _provision_script(superset.url, user, password))
    )
    assert second["database_id"] == first["database_id"]
    assert second["datasets"] == first["datasets"]
    assert f"0 dataset(s) created, {len(installed)} refreshed" in second["message"], second["message"]

    closed_port = free_port()
    failed = _shell_json(
        _shell(
            stack,
            analytics_db,
            e2e_dir,
            "superset-3",
            _provision_script(superset.url, user, password, db_port=closed_port),
        )
    )
    assert f"could not log in to PostgreSQL at {settings.pg_host()}:{closed_port}" in failed.get("error", ""), failed
    assert "connection refused" in failed["error"] and "SUPERSET_CONNECTOR_ANALYTICS_DB_HOST" in failed["error"]
    after = client.get_json(f"/api/v1/database/{first['database_id']}/connection")["result"]
    assert after["sqlalchemy_uri"] == database["sqlalchemy_uri"]
    assert sqllab.run(first["database_id"], PRIVILEGES) == READ_ONLY_ROLE


STARTERS = ["Financial", "Human resources", "Inventory", "Manufacturing", "Procurement", "Sales & CRM"]


def _sales_script(superset, odoo_origin, label, prices):
    """The start of an odoo-bin shell script: tokens signed by Odoo, a confirmed order in
    company A and in a new company B (label names its records; prices: A's and B's), the
    materialized views refreshed. Leaves a, b and Command defined."""
    return (
        "import json\n"
        "from odoo import Command\n"
        "params = env['ir.config_parameter']\n"
        "params.set_param('superset_connector.token_mode', 'local')\n"
        f"params.set_param('superset_connector.guest_token_secret', {superset.guest_token_secret!r})\n"
        f"params.set_param('superset_connector.guest_token_audience', {superset_stack.GUEST_AUDIENCE!r})\n"
        f"params.set_param('web.base.url', {odoo_origin!r})\n"
        "a = env.ref('base.main_company')\n"
        f"b = env['res.company'].create({{'name': '{label} B'}})\n"
        f"partner = env['res.partner'].create({{'name': '{label} customer', 'company_id': False}})\n"
        f"product = env['product.product'].create({{'name': '{label} widget', 'company_id': False}})\n"
        "Warehouse = env['stock.warehouse']\n"
        f"for company, price in ((a, {prices[0]}), (b, {prices[1]})):\n"
        "    warehouse = Warehouse.search([('company_id', '=', company.id)], limit=1) or Warehouse.create(\n"
        f"        {{'name': company.name, 'code': '{label[:2].upper()}%s' % company.id, 'company_id': company.id}})\n"
        "    env['sale.order'].with_company(company).create({\n"
        "        'partner_id': partner.id, 'company_id': company.id, 'warehouse_id': warehouse.id,\n"
        "        'order_line': [Command.create({'product_id': product.id, 'product_uom_qty': 1,\n"
        "                                       'price_unit': price, 'tax_id': False})],\n"
        "    }).action_confirm()\n"
        "env.cr.commit()\n"
        "env['superset.analytics.view'].search([('kind', '=', 'materialized'), ('state', '=', 'installed')])"
        ".action_refresh_now()\n"
        "env.cr.commit()\n"
    )


def _starter_script(superset, odoo_origin):
    """odoo-bin shell script: sales in two companies, the materialized views refreshed,
    "Create starter dashboards" clicked twice, the Sales starter offered to Superset
    Users, and the guest tokens two users get for it."""
    return (
        _sales_script(superset, odoo_origin, "Starter", (100, 250))
        + _people_script()
        + (
            "Dash = env['superset.dashboard']\n"
            "first = Dash.action_create_starter_dashboards()['params']\n"
            "env.cr.commit()\n"
            "second = Dash.action_create_starter_dashboards()['params']\n"
            "env.cr.commit()\n"
            "users = env.ref('superset_connector.group_superset_user')\n"
            "sales = Dash.search([('name', '=', 'Sales & CRM')])\n"
            "starters = Dash.search([('superset_dashboard_id', '!=', False)])\n"
            "starters.group_ids = [Command.set(users.ids)]\n"
            "def user(login, companies):\n"
            "    return env['res.users'].create({'name': login, 'login': login, 'company_id': companies[0].id,\n"
            "        'company_ids': [Command.set([c.id for c in companies])],\n"
            "        'groups_id': [Command.set([env.ref('base.group_user').id, users.id])]})\n"
            "only_a, both = user('starter_a', [a]), user('starter_ab', [a, b])\n"
            "env.cr.commit()\n"
            "def token(u, active, dashboard=sales):\n"
            "    tokens = env['superset.guest.token'].with_user(u).with_context(allowed_company_ids=active)\n"
            "    return tokens._response(dashboard.id, {})\n"
            "print('RESULT ' + json.dumps({\n"
            "    'first': first, 'second': second,\n"
            "    'starters': {d.name: d.superset_dashboard_id for d in Dash.search([])},\n"
            "    'failing': sales.failing_dataset_ids.mapped('name'),\n"
            "    'companies': {c.name: c.currency_id.name for c in a | b},\n"
            "    'token_a': token(only_a, [a.id]), 'token_ab': token(both, [a.id, b.id]),\n"
            "    'company_ids': [a.id, b.id],\n"
            "    'tokens': {d.name: {'a': token(only_a, [a.id], d), 'ab': token(both, [a.id, b.id], d)}\n"
            "               for d in starters},\n"
            "}, default=str))\n"
        )
    )


def _people_script():
    """odoo-bin shell lines (after _sales_script): in A and in B, an employee of a
    department of its own with a running contract, an attendance and approved time off,
    and an opportunity from a source of its own (B's won): what the Human resources and
    Sales & CRM starters show, different in each company."""
    return (
        "from datetime import date, datetime\n"
        "sick = env.ref('hr_holidays.holiday_status_sl')\n"
        "for company, n in ((a, 1), (b, 2)):\n"
        "    cenv = env(context=dict(env.context, allowed_company_ids=[company.id]))\n"
        "    dept = cenv['hr.department'].create({'name': f'Starter department {n}', 'company_id': company.id})\n"
        "    emp = cenv['hr.employee'].create({'name': f'Starter employee {n}', 'company_id': company.id,\n"
        "                                      'department_id': dept.id})\n"
        "    cenv['hr.contract'].create({'name': f'Starter contract {n}', 'employee_id': emp.id, 'wage': 1000 * n,\n"
        "                                'company_id': company.id, 'date_start': date(2025, 1, 1), 'state': 'open'})\n"
        "    cenv['hr.attendance'].create({'employee_id': emp.id, 'check_in': datetime(2025, 3, 3, 9),\n"
        "                                  'check_out': datetime(2025, 3, 3, 9 + 4 * n)})\n"
        "    leave = cenv['hr.leave'].with_context(leave_skip_date_check=True).create({\n"
        "        'employee_id': emp.id, 'holiday_status_id': sick.id,\n"
        "        'request_date_from': date(2025, 3, 4 + n), 'request_date_to': date(2025, 3, 4 + n)})\n"
        "    if leave.state == 'confirm':\n"
        "        leave.action_approve()\n"
        "    source = env['utm.source'].create({'name': f'Starter source {n}'})\n"
        "    lead = cenv['crm.lead'].create({'name': f'Starter deal {n}', 'type': 'opportunity',\n"
        "        'company_id': company.id, 'source_id': source.id, 'expected_revenue': 100 * n})\n"
        "    if n == 2:\n"
        "        lead.action_set_won()\n"
        "env.cr.commit()\n"
    )


def _chart_query(chart):
    """(dataset id, columns, metrics) the embedded page asks Superset for to draw this chart."""
    params = json.loads(chart["params"])
    columns = ([params["x_axis"]] if params.get("x_axis") else []) + params.get("groupby", [])
    return int(params["datasource"].split("__")[0]), columns, params.get("metrics") or [params["metric"]]


def _charts(client, dashboard_id):
    """{name: chart with its params} of a Superset dashboard."""
    listed = client.get_json(f"/api/v1/dashboard/{dashboard_id}/charts")["result"]
    return {c["slice_name"]: {**client.get_json(f"/api/v1/chart/{c['id']}")["result"], "id": c["id"]} for c in listed}


def _guest_rows(superset, token, dashboard_id, chart):
    """The rows a guest with this token response gets for a chart of the dashboard."""
    assert "token" in token, token
    dataset_id, columns, metrics = _chart_query(chart)
    status, rows = superset_fixtures.chart_data(
        superset.url, token["token"], dashboard_id, chart["id"], dataset_id, columns, metrics, timeout=60
    )
    assert status == 200, (chart["slice_name"], status)
    return rows


def _sorted_rows(rows):
    return sorted(json.dumps(row, sort_keys=True, default=str) for row in rows)


def _filter_values(superset, token, dashboard_id, target, filter_id):
    """The values (None aside) a select filter offers a guest, asked as the embedded page asks."""
    assert "token" in token, token
    status, values = superset_fixtures.filter_values(
        superset.url, token["token"], dashboard_id, target["datasetId"], target["column"]["name"], filter_id
    )
    assert status == 200, (filter_id, status)
    return [value for value in values if value is not None]


def test_starter_dashboards_show_each_company_its_figures(stack, analytics_db, e2e_dir, superset):
    """ "Create starter dashboards" builds the starters in Superset on the connected
    views and registers them; a second click builds nothing more. Every chart of them
    answers a query, and shows a guest of A, and of A and B, exactly what it holds for
    those companies; every select filter offers them those companies' values only.
    Through the Sales starter, a user with company A active sees A's order and revenue
    only; a user with A and B active sees both, each in its currency."""
    user, password = settings.superset_admin()
    _shell(stack, analytics_db, e2e_dir, "starter-connect", _provision_script(superset.url, user, password))
    odoo_origin = f"http://127.0.0.1:{free_port()}"
    result = _shell_json(_shell(stack, analytics_db, e2e_dir, "starter", _starter_script(superset, odoo_origin)))
    assert result["first"]["type"] == "success", result["first"]
    assert result["first"]["message"].startswith(f"Created: {', '.join(STARTERS)}."), result["first"]
    assert result["second"]["message"] == f"Already in Superset, left as they are: {', '.join(STARTERS)}."
    assert set(STARTERS) <= set(result["starters"]) and result["failing"] == []

    client = SupersetClient(superset.url, user, password, retries=0)
    charts = {title: _charts(client, result["starters"][title]) for title in STARTERS}
    company_a, company_b = result["company_ids"]
    # Every chart answers; to a guest of A, and of A and B, it shows exactly what Superset's
    # admin sees of it once narrowed to those companies.
    for title, named in charts.items():
        assert named, title
        for name, chart in named.items():
            body = superset_fixtures.chart_data_body(result["starters"][title], chart["id"], *_chart_query(chart))
            response = client.request("POST", "/api/v1/chart/data", json=body, check=False)
            assert response.status_code == 200, (title, name, response.text[:300])
            for key, companies in (("a", [company_a]), ("ab", [company_a, company_b])):
                body["queries"][0]["filters"] = [{"col": "company_id", "op": "IN", "val": companies}]
                narrowed = client.request("POST", "/api/v1/chart/data", json=body, check=False)
                assert narrowed.status_code == 200, (title, name, narrowed.text[:300])
                seen = _guest_rows(superset, result["tokens"][title][key], result["starters"][title], chart)
                assert _sorted_rows(seen) == _sorted_rows(narrowed.json()["result"][0]["data"]), (title, name, key)

    # Every select filter of every starter lists, to a guest, the values of the token's
    # companies only: exactly what PostgreSQL holds for them in the filter's dataset.
    definitions = {starter.title: starter for starter in superset_content.load_starters()}
    for title in STARTERS:
        dashboard_id = result["starters"][title]
        metadata = json.loads(client.dashboard(dashboard_id)["json_metadata"])
        datasets = {d["id"]: d["table_name"] for d in client.dashboard_datasets(dashboard_id)}
        for flt in metadata["native_filter_configuration"]:
            if flt["filterType"] != "filter_select":
                continue
            (target,) = flt["targets"]
            column, table = target["column"]["name"], datasets[target["datasetId"]]
            view = f"SELECT * FROM {SCHEMA}.{table}"  # noqa: S608 (the addon's own names)
            source = definitions[title].datasets.get(table, {}).get("sql") or view
            for key, companies in (("a", [company_a]), ("ab", [company_a, company_b])):
                # The addon's own starter SQL and column names, and integers: nothing from outside.
                ids = ", ".join(str(int(c)) for c in companies)
                query = (
                    f"SELECT DISTINCT {column} FROM ({source}) d WHERE company_id IN ({ids}) AND {column} IS NOT NULL"  # noqa: S608
                )
                expected = _sql(analytics_db, query)
                listed = _filter_values(superset, result["tokens"][title][key], dashboard_id, target, flt["id"])
                assert sorted(map(str, listed)) == sorted(expected.splitlines()), (title, flt["name"], key)

    sales_id = result["starters"]["Sales & CRM"]
    (name_a, currency_a), (name_b, currency_b) = result["companies"].items()

    def guest(token, name):
        return _guest_rows(superset, token, sales_id, charts["Sales & CRM"][name])

    assert guest(result["token_a"], "Confirmed orders") == [{"Confirmed orders": 1}]
    assert guest(result["token_ab"], "Confirmed orders") == [{"Confirmed orders": 2}]
    revenue = "Untaxed revenue by company"
    assert {row["Company"]: row["Untaxed revenue"] for row in guest(result["token_a"], revenue)} == {
        f"{name_a} ({currency_a})": 100
    }
    assert {row["Company"]: row["Untaxed revenue"] for row in guest(result["token_ab"], revenue)} == {
        f"{name_a} ({currency_a})": 100,
        f"{name_b} ({currency_b})": 250,
    }


def _staging_dashboard(staging, db):
    """In the other Superset ("staging"), on a database connection of its own to db's
    analytics views: confirmed orders per company (mv_sale_monthly) and revenue per
    company (a dataset of its own SQL on vw_sale_monthly). Returns (dashboard id, chart ids)."""
    database = staging.post_json(
        "/api/v1/database/",
        {
            "database_name": f"staging {db}",
            "sqlalchemy_uri": f"postgresql://{settings.db_user()}:{settings.db_password()}@"
            f"{settings.pg_host()}:{settings.pg_port()}/{db}",
        },
    )["id"]
    orders = staging.post_json(
        "/api/v1/dataset/", {"database": database, "schema": SCHEMA, "table_name": "mv_sale_monthly"}
    )["id"]
    revenue = staging.post_json(
        "/api/v1/dataset/",
        {
            "database": database,
            "schema": SCHEMA,
            "table_name": "bundle_revenue",
            "sql": "SELECT company_id, untaxed_revenue FROM superset_analytics.vw_sale_monthly",
        },
    )["id"]

    def by_company(name, dataset, sql, label):
        params = {
            "viz_type": "table",
            "query_mode": "aggregate",
            "groupby": ["company_id"],
            "metrics": [{"expressionType": "SQL", "sqlExpression": sql, "label": label}],
            "row_limit": 100,
        }
        return superset_content.chart(staging, name, dataset, params)

    charts = {
        "orders": by_company("Orders by company", orders, "SUM(confirmed_orders)", "Orders"),
        "revenue": by_company("Revenue by company", revenue, "SUM(untaxed_revenue)", "Revenue"),
    }
    cells = [superset_content.Cell(charts["orders"], "Orders by company", 6)]
    cells.append(superset_content.Cell(charts["revenue"], "Revenue by company", 6))
    return superset_content.dashboard(staging, "Bundle sales", [cells], slug=f"bundle-sales-{db}"), charts


def _connected_with_sales(stack, db, e2e_dir, superset, label, prices, extra=""):
    """Superset connected to the views ("Connect Superset"), then sales in two companies
    (_sales_script), the materialized views refreshed, a user of A (<label>_a) and a user
    of A and B (<label>_ab); extra: more lines of the script before its commit. Returns
    (what the connection made, {"a": id, "b": id})."""
    user, password = settings.superset_admin()
    tag = label.lower()
    connected = _shell_json(
        _shell(stack, db, e2e_dir, f"{tag}-connect", _provision_script(superset.url, user, password))
    )
    script = _sales_script(superset, f"http://127.0.0.1:{free_port()}", label, prices) + (
        f"{extra}"
        "users = env.ref('superset_connector.group_superset_user')\n"
        f"for login, companies in (('{tag}_a', a), ('{tag}_ab', a | b)):\n"
        "    env['res.users'].create({'name': login, 'login': login, 'company_id': a.id,\n"
        "        'company_ids': [Command.set(companies.ids)],\n"
        "        'groups_id': [Command.set([env.ref('base.group_user').id, users.id])]})\n"
        "env.cr.commit()\n"
        "print('RESULT ' + json.dumps({'a': a.id, 'b': b.id}))\n"
    )
    return connected, _shell_json(_shell(stack, db, e2e_dir, f"{tag}-setup", script))


# Shell-script lines: token(login), the guest-token response a user gets for `dashboard`
# with all its companies active.
_TOKEN_OF_LOGIN = (
    "def token(login):\n"
    "    u = env['res.users'].search([('login', '=', login)])\n"
    "    return env['superset.guest.token'].with_user(u).with_context(allowed_company_ids=u.company_ids.ids)"
    "._response(dashboard.id, {})\n"
)


def _bundle_import_script(path):
    """odoo-bin shell script: the file at path as the bundle "Bundle sales" (made, or
    given the new file), imported by the hourly sync, its dashboard offered to Superset
    Users, and the guest tokens the two users get for it."""
    return (
        "import base64, json\n"
        "from odoo import Command\n"
        "Bundle, Dash = env['superset.dashboard.bundle'], env['superset.dashboard']\n"
        f"data = base64.b64encode(open({str(path)!r}, 'rb').read())\n"
        "bundle = Bundle.search([('name', '=', 'Bundle sales')])\n"
        "if bundle:\n"
        "    bundle.data = data\n"
        "else:\n"
        "    bundle = Bundle.create({'name': 'Bundle sales', 'data': data, 'auto_import': True})\n"
        "before = bundle.state\n"
        "env.cr.commit()\n"
        "env.ref('superset_connector.ir_cron_superset_dashboard_sync').method_direct_trigger()\n"
        "env.cr.commit()\n"
        "dashboard = bundle.dashboard_ids\n"
        "dashboard.group_ids = [Command.set(env.ref('superset_connector.group_superset_user').ids)]\n"
        "env.cr.commit()\n"
        f"{_TOKEN_OF_LOGIN}"
        "print('RESULT ' + json.dumps({\n"
        "    'before': before, 'state': bundle.state, 'message': bundle.message,\n"
        "    'superset_id': dashboard.superset_dashboard_id,\n"
        "    'datasets': {d.name: d.filter_state for d in dashboard.dataset_ids},\n"
        "    'token_a': token('bundle_a'), 'token_ab': token('bundle_ab'),\n"
        "}, default=str))\n"
    )


def test_a_bundle_from_another_superset_shows_each_company_its_figures(
    stack, analytics_db, e2e_dir, superset, superset_misconfigured
):
    """A dashboard built in another Superset, on its own connection to the analytics
    views, is exported there and imported here by the hourly sync from a bundle record:
    its datasets become the ones "Connect Superset" made (its own SQL dataset lands on
    the analytics connection), every dataset gets the company rule, and through it a user
    of company A sees A's rows only, a user of A and B both. A new file (a chart renamed
    there) updates the same dashboard."""
    user, password = settings.superset_admin()
    connected, companies = _connected_with_sales(stack, analytics_db, e2e_dir, superset, "Bundle", (40, 40))
    staging = SupersetClient(superset_misconfigured.url, user, password, retries=0)
    staging_dashboard, staging_charts = _staging_dashboard(staging, analytics_db)
    path = e2e_dir / "bundle-sales.zip"
    path.write_bytes(staging.export("dashboard", [staging_dashboard]))

    first = _shell_json(_shell(stack, analytics_db, e2e_dir, "bundle-import-1", _bundle_import_script(path)))
    assert (first["before"], first["state"]) == ("new", "imported"), first
    assert first["message"] == "Imported into Superset: Bundle sales (2 chart(s)).", first["message"]
    assert first["datasets"] == {f"{SCHEMA}.mv_sale_monthly": "filtered", f"{SCHEMA}.bundle_revenue": "filtered"}
    client = SupersetClient(superset.url, user, password, retries=0)
    datasets = {d["table_name"]: d for d in client.dashboard_datasets(first["superset_id"])}
    assert datasets["mv_sale_monthly"]["id"] == connected["datasets"]["mv_sale_monthly"]
    assert client.dataset(datasets["bundle_revenue"]["id"])["database"]["id"] == connected["database_id"]

    charts = _charts(client, first["superset_id"])
    assert set(charts) == {"Orders by company", "Revenue by company"}

    def companies_seen(token, name):
        return {row["company_id"] for row in _guest_rows(superset, token, first["superset_id"], charts[name])}

    for name in charts:
        assert companies_seen(first["token_a"], name) == {companies["a"]}, name
        assert companies_seen(first["token_ab"], name) == {companies["a"], companies["b"]}, name

    staging.request("PUT", f"/api/v1/chart/{staging_charts['orders']}", json={"slice_name": "Confirmed orders"})
    path.write_bytes(staging.export("dashboard", [staging_dashboard]))
    second = _shell_json(_shell(stack, analytics_db, e2e_dir, "bundle-import-2", _bundle_import_script(path)))
    assert (second["before"], second["state"]) == ("changed", "imported"), second
    assert second["superset_id"] == first["superset_id"]
    assert set(_charts(client, first["superset_id"])) == {"Confirmed orders", "Revenue by company"}


def _cache_register_script(superset_id):
    """odoo-bin shell script: the hourly sync registers the Superset dashboard, offered to
    Superset Users; the guest tokens of the two users."""
    return (
        "import json\n"
        "from odoo import Command\n"
        "Dash = env['superset.dashboard']\n"
        "env.ref('superset_connector.ir_cron_superset_dashboard_sync').method_direct_trigger()\n"
        "env.cr.commit()\n"
        f"dashboard = Dash.search([('superset_dashboard_id', '=', {int(superset_id)})])\n"
        "dashboard.group_ids = [Command.set(env.ref('superset_connector.group_superset_user').ids)]\n"
        "env.cr.commit()\n"
        f"{_TOKEN_OF_LOGIN}"
        "print('RESULT ' + json.dumps({\n"
        "    'datasets': {d.name: d.filter_state for d in dashboard.dataset_ids},\n"
        "    'token_a': token('cache_a')['token'], 'token_ab': token('cache_ab')['token'],\n"
        "}))\n"
    )


def _cache_order_script(price, refresh, superset_url=None):
    """odoo-bin shell script: one more confirmed order in company A, then mv_sale_monthly
    refreshed by "Refresh now" or by its cron (refresh: "now", "cron" or None), with the
    addon pointed at superset_url when given; what the view says of Superset afterwards."""
    url_line = f"env['ir.config_parameter'].set_param('superset_connector.url', {superset_url!r})\n"
    return (
        "import json\n"
        "from odoo import Command\n"
        f"{url_line if superset_url else ''}"
        "a = env.ref('base.main_company')\n"
        "partner = env['res.partner'].search([('name', '=', 'Cache customer')])\n"
        "product = env['product.product'].search([('name', '=', 'Cache widget')])\n"
        "warehouse = env['stock.warehouse'].search([('company_id', '=', a.id)], limit=1)\n"
        "env['sale.order'].with_company(a).create({\n"
        "    'partner_id': partner.id, 'company_id': a.id, 'warehouse_id': warehouse.id,\n"
        "    'order_line': [Command.create({'product_id': product.id, 'product_uom_qty': 1,\n"
        f"                                   'price_unit': {price}, 'tax_id': False}})],\n"
        "}).action_confirm()\n"
        "env.cr.commit()\n"
        "view = env['superset.analytics.view'].search([('name', '=', 'mv_sale_monthly')])\n"
        f"refresh = {refresh!r}\n"
        "if refresh == 'now':\n"
        "    view.action_refresh_now()\n"
        "elif refresh == 'cron':\n"
        "    view.cron_id.method_direct_trigger()\n"
        "env.cr.commit()  # Superset is told once this is committed\n"
        "view.invalidate_recordset()\n"
        "print('RESULT ' + json.dumps({'status': view.last_refresh_status, 'stale': view.superset_charts_stale,\n"
        "                              'message': view.superset_charts_message}))\n"
    )


def test_a_refresh_shows_its_figures_through_superset_cache(stack, analytics_db, e2e_dir, superset):
    """The tests' Superset caches chart data, as production ones do. Through a dashboard
    on mv_sale_monthly (its dataset, and a dataset of SQL reading it), a guest first gets
    Superset's cached figures, so a refresh Odoo does not announce stays invisible; after
    "Refresh now" every guest gets the new figures at once, for its companies only. With
    Superset unreachable the refresh is done all the same and the view says Superset may
    show older figures; the next refresh run, Superset back, tells it."""
    user, password = settings.superset_admin()
    connected, companies = _connected_with_sales(
        stack, analytics_db, e2e_dir, superset, "Cache", (100, 250),
        extra="params.set_param('superset_connector.token_ttl', '3600')  # tokens that outlive the test\n",
    )  # fmt: skip
    a, b = companies["a"], companies["b"]
    client = SupersetClient(superset.url, user, password, retries=0)
    own_sql = client.post_json(
        "/api/v1/dataset/",
        {
            "database": connected["database_id"],
            "schema": SCHEMA,
            "table_name": "cache_revenue",
            "sql": "SELECT company_id, untaxed_revenue FROM superset_analytics.mv_sale_monthly",
        },
    )["id"]
    on_view = connected["datasets"]["mv_sale_monthly"]
    params = {
        "viz_type": "table",
        "query_mode": "aggregate",
        "groupby": ["company_id"],
        "metrics": [{"expressionType": "SQL", "sqlExpression": "SUM(untaxed_revenue)", "label": "Revenue"}],
        "row_limit": 100,
    }
    charts = {
        on_view: superset_content.chart(client, "Cached revenue (view)", on_view, params),
        own_sql: superset_content.chart(client, "Cached revenue (SQL)", own_sql, params),
    }
    cells = [
        superset_content.Cell(chart, name, 6) for chart, name in zip(charts.values(), ("View", "SQL"), strict=True)
    ]
    dashboard = superset_content.dashboard(client, "Cached sales", [cells], slug=f"cached-sales-{analytics_db}")
    tokens = _shell_json(_shell(stack, analytics_db, e2e_dir, "cache-register", _cache_register_script(dashboard)))
    assert set(tokens["datasets"].values()) == {"filtered"}, tokens["datasets"]

    def seen(token):
        """{dataset: ({company: revenue}, answered from Superset's cache)} a guest gets."""
        out = {}
        for dataset, chart in charts.items():
            status, result = superset_fixtures.chart_result(
                superset.url, token, dashboard, chart, dataset, ["company_id"], params["metrics"], force=False
            )
            assert status == 200, result
            out[dataset] = (
                {r["company_id"]: round(r["Revenue"], 2) for r in result["data"]},
                bool(result["is_cached"]),
            )
        return out

    def in_the_view(*ids):
        rows = _sql(
            analytics_db,
            f"SELECT company_id || ':' || round(sum(untaxed_revenue), 2) FROM {SCHEMA}.mv_sale_monthly "  # noqa: S608
            f"WHERE company_id IN ({', '.join(map(str, ids))}) GROUP BY company_id",
        )
        return {int(k): float(v) for k, v in (line.split(":") for line in rows.splitlines())}

    first = in_the_view(a, b)
    seen(tokens["token_a"]), seen(tokens["token_ab"])  # the charts as the embedded page loads them
    assert seen(tokens["token_a"]) == dict.fromkeys(charts, ({a: first[a]}, True))  # Superset caches...
    assert seen(tokens["token_ab"]) == dict.fromkeys(charts, (first, True))  # ...per guest's companies

    # A refresh Odoo does not announce (plain SQL): Superset keeps showing the old figures.
    _shell(stack, analytics_db, e2e_dir, "cache-order-1", _cache_order_script(40, None))
    _sql(analytics_db, f"REFRESH MATERIALIZED VIEW {SCHEMA}.mv_sale_monthly")
    assert in_the_view(a)[a] == first[a] + 40
    assert seen(tokens["token_a"]) == dict.fromkeys(charts, ({a: first[a]}, True))

    # "Refresh now": every guest gets the refreshed figures, for its companies only.
    done = _shell_json(_shell(stack, analytics_db, e2e_dir, "cache-order-2", _cache_order_script(10, "now")))
    assert done == {"status": "done", "stale": False, "message": False}, done
    second = in_the_view(a, b)
    assert second == {a: first[a] + 50, b: first[b]}
    assert seen(tokens["token_a"]) == dict.fromkeys(charts, ({a: second[a]}, False))
    assert seen(tokens["token_ab"]) == dict.fromkeys(charts, (second, False))
    stamp = json.loads(client.dataset(on_view)["extra"])["odoo_data_refreshed_at"]
    assert stamp == json.loads(client.dataset(own_sql)["extra"])["odoo_data_refreshed_at"]

    # Superset unreachable: the refresh is done and kept, the view says what Superset may show.
    closed = f"http://127.0.0.1:{free_port()}"
    down = _shell_json(_shell(stack, analytics_db, e2e_dir, "cache-order-3", _cache_order_script(5, "now", closed)))
    assert (down["status"], down["stale"]) == ("done", True), down
    assert down["message"].startswith("Superset may still show the figures from before the last refresh: ")
    assert f"Superset is unavailable at {closed}" in down["message"], down["message"]
    assert in_the_view(a)[a] == second[a] + 5
    assert seen(tokens["token_a"]) == dict.fromkeys(charts, ({a: second[a]}, True))

    # Superset back: the next refresh run tells it, whether or not it refreshes anything.
    back = _shell_json(
        _shell(stack, analytics_db, e2e_dir, "cache-order-4", _cache_order_script(1, "cron", superset.url))
    )
    assert (back["stale"], back["message"]) == (False, False), back
    assert seen(tokens["token_a"])[on_view][0] == {a: in_the_view(a)[a]}


def test_apps_installed_later_and_uninstalled(stack, analytics_db, e2e_dir):
    """Uninstalling crm drops the CRM views only: they wait for it again, the other apps'
    views stay, and every view keeps its Superset dataset (Connect Superset finds it again
    once the view is back). Installed again with odoo-bin, with sale_margin, crm brings
    its views back, counting won and lost opportunities, and sale_margin adds the margin
    to the product view. Uninstalling crm and sale_margin drops the CRM views and brings
    the product view back without margin; uninstalling sale succeeds and takes every
    sales view along (no view of the schema depends on sale's tables), the other apps'
    views staying."""
    assert _states(analytics_db)["vw_crm_pipeline"] == "installed"  # crm is in the template
    before = _states(analytics_db)
    _shell(
        stack,
        analytics_db,
        e2e_dir,
        "crm-uninstall",
        "env.cr.execute('UPDATE superset_analytics_view SET superset_dataset_id = 1000 + id')\n"
        "env.cr.commit()\n"
        "env['ir.module.module'].search([('name', '=', 'crm')]).button_immediate_uninstall()\n",
    )
    relations, states = _relations(analytics_db), _states(analytics_db)
    crm_views = {name for name in before if "_crm_" in name}
    assert crm_views and not crm_views & set(relations)
    assert {states[name] for name in crm_views} == {"waiting"}
    assert {name: state for name, state in states.items() if name not in crm_views} == {
        name: state for name, state in before.items() if name not in crm_views
    }
    moved = "SELECT count(*) FROM superset_analytics_view WHERE superset_dataset_id <> 1000 + id"
    assert _sql(analytics_db, moved) == "0"

    odoo_stack.run_odoo(
        stack.odoo_venv,
        stack.odoo_path,
        odoo_stack.write_config(e2e_dir / "analytics-crm.conf", stack.odoo_path, db=analytics_db),
        ["-i", "crm,sale_margin", "--stop-after-init"],
        e2e_dir / "analytics-crm.log",
        what="installing crm and sale_margin",
    )
    relations = _relations(analytics_db)
    assert relations["vw_crm_pipeline"] == "v"
    assert relations["vw_crm_won_lost_monthly"] == "v"
    states = _states(analytics_db)
    assert (states["vw_crm_pipeline"], states["vw_crm_won_lost_monthly"]) == ("installed", "installed")
    definition = "SELECT pg_get_viewdef('superset_analytics.vw_sale_product_monthly')"
    assert "l.margin" in _sql(analytics_db, definition)

    output = _shell(
        stack,
        analytics_db,
        e2e_dir,
        "crm",
        "import json\n"
        "Lead = env['crm.lead']\n"
        "won = Lead.create({'name': 'Won deal', 'type': 'opportunity', 'expected_revenue': 1000})\n"
        "lost = Lead.create({'name': 'Lost deal', 'type': 'opportunity', 'expected_revenue': 300})\n"
        "Lead.create({'name': 'Open deal', 'type': 'opportunity', 'expected_revenue': 500, 'probability': 40})\n"
        "won.action_set_won()\n"
        "lost.action_set_lost()\n"
        "env.flush_all()\n"
        "env.cr.execute('SELECT sum(won), sum(lost), sum(won_revenue) '\n"
        "               'FROM superset_analytics.vw_crm_won_lost_monthly')\n"
        "closed = env.cr.fetchone()\n"
        "env.cr.execute('SELECT sum(opportunities), sum(weighted_revenue) FROM superset_analytics.vw_crm_pipeline "
        "WHERE NOT is_won_stage')\n"
        "pipeline = env.cr.fetchone()\n"
        "print('RESULT ' + json.dumps({'closed': [float(v) for v in closed], 'open': [float(v) for v in pipeline]}))\n"
        "env.cr.rollback()\n"
        "env['ir.module.module'].search([('name', 'in', ['crm', 'sale_margin'])]).button_immediate_uninstall()\n",
    )
    figures = _shell_json(output)
    assert figures["closed"] == [1.0, 1.0, 1000.0]
    assert figures["open"] == [1.0, 200.0]

    assert _sql(analytics_db, "SELECT state FROM ir_module_module WHERE name = 'crm'") == "uninstalled"
    relations, states = _relations(analytics_db), _states(analytics_db)
    assert "vw_crm_pipeline" not in relations
    assert states["vw_crm_pipeline"] == "waiting"
    assert relations["vw_sale_product_monthly"] == "v"
    assert relations["mv_sale_product_monthly"] == "m"
    assert "l.margin" not in _sql(analytics_db, definition)

    _shell(
        stack,
        analytics_db,
        e2e_dir,
        "sale",
        "env['ir.module.module'].search([('name', '=', 'sale')]).button_immediate_uninstall()\n",
    )
    assert _sql(analytics_db, "SELECT state FROM ir_module_module WHERE name = 'sale'") == "uninstalled"
    assert _sql(analytics_db, "SELECT count(*) FROM pg_class WHERE relname IN ('sale_order', 'sale_order_line')") == "0"
    relations, states = _relations(analytics_db), _states(analytics_db)
    assert not [name for name in relations if name.startswith(("vw_sale", "mv_sale"))]
    assert {state for name, state in states.items() if "_sale_" in name} == {"waiting"}
    assert (
        _sql(analytics_db, "SELECT count(*) FROM ir_cron WHERE cron_name LIKE 'Superset analytics: refresh mv_sale%'")
        == "0"
    )
    assert relations["vw_company"] == "v"
    assert relations["mv_account_revenue_monthly"] == "m"
    assert states["vw_stock_level"] == "installed"


def test_uninstalling_the_addon_leaves_nothing(stack, analytics_db, e2e_dir):
    """Uninstalled, the addon leaves no schema, view, refresh cron, role nor setting, and
    CREATE on schema public is back to what Odoo had granted."""
    acl = "SELECT nspacl::text FROM pg_namespace WHERE nspname = 'public'"
    before = _sql(stack.template("apps"), acl)  # this database is a copy of it
    role = f"{analytics_db}_superset_ro"
    _shell(
        stack,
        analytics_db,
        e2e_dir,
        "uninstall",
        "env['superset.analytics.view'].action_create_readonly_role()\n"
        "env.cr.commit()\n"
        "env['ir.module.module'].search([('name', '=', 'superset_connector')]).button_immediate_uninstall()\n",
    )
    assert _sql(analytics_db, "SELECT state FROM ir_module_module WHERE name = 'superset_connector'") == "uninstalled"
    assert _sql(analytics_db, "SELECT count(*) FROM pg_namespace WHERE nspname = 'superset_analytics'") == "0"
    assert _sql(analytics_db, f"SELECT count(*) FROM pg_roles WHERE rolname = '{role}'") == "0"  # noqa: S608 (test's name)
    assert _sql(analytics_db, "SELECT count(*) FROM ir_cron WHERE cron_name LIKE 'Superset analytics%'") == "0"
    assert _sql(analytics_db, "SELECT count(*) FROM ir_config_parameter WHERE key LIKE 'superset_connector.%'") == "0"
    assert _sql(analytics_db, acl) == before
