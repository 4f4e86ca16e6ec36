"""Demo companies and users for `make demo`; run inside `odoo-bin shell` (provides env).

Idempotent: records are found by XML id and updated, never created twice. Also points
the addon at the local Superset (SC_DEMO_* environment variables, set by devstack).
Three companies in two currencies and far-apart timezones, one user per company and a
manager allowed on all of them.
"""

import os

PASSWORD = "superset"  # printed by `make demo`; a local demo, never a real deployment
COMPANIES = [
    # xmlid, name, currency, timezone, country
    ("company_europe", "Northwind Europe", "EUR", "Europe/Brussels", "be"),
    ("company_americas", "Northwind Americas", "USD", "America/Los_Angeles", "us"),
    ("company_pacific", "Northwind Pacific", "USD", "Pacific/Auckland", "nz"),
]
USERS = [
    # login, name, companies (xmlids), superset group
    ("europe", "Eva Europe", ["company_europe"], "user"),
    ("americas", "Adam Americas", ["company_americas"], "user"),
    ("pacific", "Paula Pacific", ["company_pacific"], "user"),
    ("manager", "Max Manager", ["company_europe", "company_americas", "company_pacific"], "manager"),
]


def _upsert(env, xmlid, model, values):
    record = env.ref(f"superset_connector_demo.{xmlid}", raise_if_not_found=False)
    if record:
        record.write(values)
        return record
    record = env[model].create(values)
    env["ir.model.data"].create(
        {"module": "superset_connector_demo", "name": xmlid, "model": model, "res_id": record.id, "noupdate": True}
    )
    return record


def _load_chart_of_accounts(env, company):
    if "account.chart.template" in env and not company.chart_template:
        env["account.chart.template"].try_loading("generic_coa", company, install_demo=False)


def main(env):
    companies = {}
    main_company = env.ref("base.main_company")
    for xmlid, name, currency, tz, country in COMPANIES:
        values = {
            "name": name,
            "currency_id": env.ref(f"base.{currency}").id,
            "country_id": env.ref(f"base.{country}").id,
        }
        if xmlid == "company_europe" and not env.ref(f"superset_connector_demo.{xmlid}", raise_if_not_found=False):
            # The database's first company becomes the first demo company.
            env["ir.model.data"].create(
                {
                    "module": "superset_connector_demo",
                    "name": xmlid,
                    "model": "res.company",
                    "res_id": main_company.id,
                    "noupdate": True,
                }
            )
        env.ref(f"base.{currency}").active = True
        company = _upsert(env, xmlid, "res.company", values)
        company.partner_id.tz = tz
        _load_chart_of_accounts(env, company)
        company.currency_id = values["currency_id"]  # the chart may have set the country's currency
        companies[xmlid] = company

    groups = {
        "user": env.ref("superset_connector.group_superset_user"),
        "manager": env.ref("superset_connector.group_superset_manager"),
    }
    for login, name, company_xmlids, group in USERS:
        allowed = [companies[x].id for x in company_xmlids]
        values = {
            "name": name,
            "login": login,
            "company_id": allowed[0],
            "company_ids": [(6, 0, allowed)],
            "tz": companies[company_xmlids[0]].partner_id.tz,
            "groups_id": [(4, env.ref("base.group_user").id), (4, groups[group].id)],
        }
        user = _upsert(env, f"user_{login}", "res.users", values)
        user.password = PASSWORD
    admin = env.ref("base.user_admin")
    admin.write({"company_ids": [(4, c.id) for c in companies.values()], "groups_id": [(4, groups["manager"].id)]})
    configure(env)
    env.cr.commit()
    print("demo data ok:", ", ".join(c.name for c in companies.values()))


def configure(env):
    """The addon's connection settings, for the Superset devstack started."""
    params = env["ir.config_parameter"].sudo()
    for key in ("url", "username", "password", "token_mode", "guest_token_secret", "guest_token_audience"):
        value = os.environ.get(f"SC_DEMO_{key.upper()}")
        if value:
            params.set_param(f"superset_connector.{key}", value)


main(env)  # noqa: F821 (env is provided by odoo-bin shell)
