"""Demo companies and users for `make demo`; run inside `odoo-bin shell` (provides env).

Idempotent: records are found by XML id and updated, never created twice. Also points
the addon at the local Superset (SC_DEMO_* environment variables, set by devstack).
Three companies in two currencies and far-apart timezones, one user per company and a
manager allowed on all of them.
"""

import os
import random
from datetime import datetime, timedelta

PASSWORD = "superset"
BUSINESS_MARKER = "superset_connector_demo.business_data"
PRODUCTS = [
    # name, list price, cost
    ("Oak desk", 420.0, 250.0),
    ("Office chair", 180.0, 95.0),
    ("Monitor arm", 75.0, 30.0),
    ("Desk lamp", 45.0, 18.0),
    ("Cable tray", 25.0, 8.0),
]  # printed by `make demo`; a local demo, never a real deployment
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


def _ensure_warehouse(env, company):
    # Outside tests, Odoo leaves a new company's warehouse to the onboarding screens.
    if "stock.warehouse" in env and not env["stock.warehouse"].search_count([("company_id", "=", company.id)]):
        code = "".join(word[0] for word in company.name.split())[:5].upper()
        env["stock.warehouse"].create({"name": company.name, "code": code, "company_id": company.id})


def _load_chart_of_accounts(env, company):
    if "account.chart.template" in env and not company.chart_template:
        env["account.chart.template"].try_loading("generic_coa", company, install_demo=False)


def main(env):
    companies = {}
    main_company = env.ref("base.main_company")
    for xmlid, name, currency, tz, country in COMPANIES:
        values = {"name": name, "currency_id": env.ref(f"base.{currency}").id}
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
        # On the partner, not the company: a company's new country makes Odoo install
        # that country's accounting localisation (modules, a second chart of accounts).
        company.partner_id.write({"tz": tz, "country_id": env.ref(f"base.{country}").id})
        _load_chart_of_accounts(env, company)
        company.currency_id = values["currency_id"]  # the chart may have set the country's currency
        _ensure_warehouse(env, company)
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
    load_business_data(env, list(companies.values()))
    env.cr.commit()
    print("demo data ok:", ", ".join(c.name for c in companies.values()))


def load_business_data(env, companies):
    """A year of sales (quotations, confirmed orders, posted invoices) and a few employees
    per company, so the analytics views and the demo dashboards have something to show.
    Seeded, loaded once (a marker parameter remembers it)."""
    params = env["ir.config_parameter"].sudo()
    if params.get_param(BUSINESS_MARKER) or "sale.order" not in env:
        return
    rng = random.Random(18)  # noqa: S311 (reproducible demo data, not secrets)
    products = env["product.product"].create(
        [
            {"name": name, "list_price": price, "standard_price": cost, "type": "consu", "sale_ok": True}
            for name, price, cost in PRODUCTS
        ]
    )
    now = datetime.now().replace(microsecond=0)
    for company in companies:
        company_env = env["sale.order"].with_company(company).with_context(allowed_company_ids=[company.id])
        customers = env["res.partner"].create(
            [{"name": f"{company.name.split()[-1]} customer {n}", "company_id": company.id} for n in range(1, 9)]
        )
        for index in range(45):
            ordered = now - timedelta(days=rng.randint(0, 364), hours=rng.randint(0, 23))
            order = company_env.create(
                {
                    "partner_id": rng.choice(customers).id,
                    "company_id": company.id,
                    "date_order": ordered,
                    "order_line": [
                        (0, 0, {"product_id": product.id, "product_uom_qty": rng.randint(1, 6)})
                        for product in rng.sample(list(products), rng.randint(1, 3))
                    ],
                }
            )
            if index % 5 == 4:
                continue  # some quotations stay quotations
            order.action_confirm()
            order.date_order = ordered  # confirming stamps "now"
            if "account.move" in env and index % 5 != 3:
                invoice = order._create_invoices()
                invoice.invoice_date = ordered.date()
                invoice.action_post()
        if "hr.employee" in env:
            department = env["hr.department"].create({"name": "Sales", "company_id": company.id})
            env["hr.employee"].create(
                [
                    {
                        "name": f"{company.name.split()[-1]} employee {n}",
                        "company_id": company.id,
                        "department_id": department.id,
                    }
                    for n in range(1, 4 + len(company.name) % 3)
                ]
            )
    params.set_param(BUSINESS_MARKER, now.isoformat())


def configure(env):
    """The addon's connection settings, for the Superset devstack started."""
    params = env["ir.config_parameter"].sudo()
    for key in ("url", "username", "password", "token_mode", "guest_token_secret", "guest_token_audience"):
        value = os.environ.get(f"SC_DEMO_{key.upper()}")
        if value:
            params.set_param(f"superset_connector.{key}", value)


main(env)  # noqa: F821 (env is provided by odoo-bin shell)
