"""Helpers of the end-to-end analytics tests: psql, `odoo-bin shell` scripts and a
throw-away database with the addon (and other addons) installed."""

import contextlib
import json
import os
import subprocess

from devstack import odoo as odoo_stack
from devstack import postgres


def sql(db, statement, user=None):
    return postgres.psql(statement, db=db, user=user)


def relations(db):
    rows = sql(
        db,
        "SELECT c.relname || ':' || c.relkind::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'superset_analytics' AND c.relkind IN ('v', 'm') ORDER BY 1",
    )
    return dict(line.split(":") for line in rows.splitlines())


def states(db):
    rows = sql(db, "SELECT name || ':' || state FROM superset_analytics_view ORDER BY 1")
    return dict(line.split(":") for line in rows.splitlines())


def shell(stack, db, e2e_dir, label, script):
    """Run a Python script in `odoo-bin shell` on db; returns its output (log in e2e_dir)."""
    config = odoo_stack.write_config(e2e_dir / f"analytics-{label}.conf", stack.odoo_path, db=db)
    argv = [*odoo_stack.odoo_bin(stack.odoo_venv, stack.odoo_path), "shell", "-c", str(config), "--no-http"]
    result = subprocess.run(
        argv,
        input=script.encode(),
        capture_output=True,
        env=odoo_stack.odoo_env(stack.odoo_path),
        timeout=600,
        check=False,
    )
    output = result.stdout.decode() + result.stderr.decode()
    (e2e_dir / f"analytics-{label}.log").write_text(output)
    assert result.returncode == 0, f"odoo-bin shell failed, see {e2e_dir}/analytics-{label}.log"
    return output


def shell_json(output):
    """The JSON object a shell script printed on a line starting with RESULT."""
    line = next(line for line in output.splitlines() if line.startswith("RESULT "))
    return json.loads(line[len("RESULT ") :])


@contextlib.contextmanager
def analytics_database(stack, e2e_dir, label, modules="superset_connector"):
    """A copy of the apps template with modules ("a,b") installed; dropped afterwards,
    with the read-only role the analytics views made."""
    db = f"sc_{label}_{os.getpid()}"
    odoo_stack.install(stack, stack.template("apps"), db, e2e_dir / f"{label}-install.log", module=modules)
    try:
        yield db
    finally:
        odoo_stack.drop_db(db)
        postgres.psql(f'DROP ROLE IF EXISTS "{db}_superset_ro"', user="postgres", password="", check=False)


def provision_script(url, user, password, db_port=None):
    """odoo-bin shell script: point the addon at Superset, click "Connect Superset"."""
    port_line = f"os.environ['SUPERSET_CONNECTOR_ANALYTICS_DB_PORT'] = '{db_port}'\n" if db_port else ""
    return (
        "import json, os\n"
        "from odoo.exceptions import UserError\n"
        f"{port_line}"
        "params = env['ir.config_parameter']\n"
        f"params.set_param('superset_connector.url', {url!r})\n"
        f"params.set_param('superset_connector.username', {user!r})\n"
        f"params.set_param('superset_connector.password', {password!r})\n"
        "params.set_param('superset_connector.retries', '0')\n"
        "env.cr.commit()\n"
        "Views = env['superset.analytics.view']\n"
        "try:\n"
        "    action = Views.action_provision_superset()\n"
        "    env.cr.commit()\n"
        "    result = {'message': action['params']['message'], 'type': action['params']['type'],\n"
        "              'database_id': int(params.get_param('superset_connector.analytics_database_id')),\n"
        "              'datasets': {v.name: v.superset_dataset_id\n"
        "                           for v in Views.search([('state', '=', 'installed')])}}\n"
        "except UserError as e:\n"
        "    result = {'error': str(e)}\n"
        "print('RESULT ' + json.dumps(result))\n"
    )
