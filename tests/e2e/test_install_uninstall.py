"""The addon installs and uninstalls cleanly, on a bare database and on the business apps."""

import subprocess

import pytest

from devstack import odoo as odoo_stack
from devstack import postgres

UNINSTALL = (
    "env['ir.module.module'].search([('name', '=', 'superset_connector')]).button_immediate_uninstall()\n"
    "env.cr.commit()\n"
)


def _count(db, sql):
    return int(postgres.psql(sql, db=db))


@pytest.mark.parametrize("kind", ["base", "apps"])
def test_install_then_uninstall_leaves_nothing(stack, scratch_db, e2e_dir, kind):
    """Installed: module state, tables, groups, menus exist. Uninstalled: none of it, no setting left."""
    db = scratch_db(kind)
    log = e2e_dir / f"install-{kind}.log"
    odoo_stack.install(stack, stack.template(kind), db, log)

    state = "SELECT state FROM ir_module_module WHERE name = 'superset_connector'"
    assert postgres.psql(state, db=db) == "installed"
    assert _count(db, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'superset_dashboard'") == 1
    assert _count(db, "SELECT count(*) FROM ir_model_data WHERE module = 'superset_connector'") > 0
    postgres.psql(
        "INSERT INTO ir_config_parameter (key, value) VALUES ('superset_connector.password', 'secret')", db=db
    )

    config = odoo_stack.write_config(e2e_dir / f"uninstall-{kind}.conf", stack.odoo_path, db=db)
    argv = [*odoo_stack.odoo_bin(stack.odoo_venv, stack.odoo_path), "shell", "-c", str(config), "--no-http"]
    with open(e2e_dir / f"uninstall-{kind}.log", "wb") as out:
        result = subprocess.run(
            argv,
            input=UNINSTALL.encode(),
            stdout=out,
            stderr=subprocess.STDOUT,
            env=odoo_stack.odoo_env(stack.odoo_path),
            timeout=600,
            check=False,
        )
    assert result.returncode == 0

    assert postgres.psql(state, db=db) == "uninstalled"
    assert _count(db, "SELECT count(*) FROM information_schema.tables WHERE table_name LIKE 'superset%'") == 0
    assert _count(db, "SELECT count(*) FROM ir_model_data WHERE module = 'superset_connector'") == 0
    assert _count(db, "SELECT count(*) FROM ir_config_parameter WHERE key LIKE 'superset_connector.%'") == 0
    assert _count(db, "SELECT count(*) FROM ir_model WHERE model LIKE 'superset.%'") == 0
