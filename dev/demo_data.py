"""Demo companies and users for `make demo`; run inside `odoo-bin shell` (provides env).

Idempotent: records are found by XML id and updated, never created twice. Also points
the addon at the local Superset (SC_DEMO_* environment variables, set by devstack).
Three companies in two currencies and far-apart timezones, one user per company and a
manager allowed on all of them.
"""

import os
import random
from datetime import date, datetime, timedelta

import pytz  # Odoo's own dependency: this file runs in odoo-bin shell

PASSWORD = "superset"
BUSINESS_MARKER = "superset_connector_demo.business_data"
# The purchases, stock, manufacturing and payments came later: their own marker, so a
# database loaded before them gets them once too.
OPERATIONS_MARKER = "superset_connector_demo.operations_data"
# Salespeople, CRM leads, contracts, time off and attendances: later still, their own marker.
PEOPLE_MARKER = "superset_connector_demo.people_data"
LEAD_SOURCES = ["Website", "Referral", "Trade show", "Newsletter"]
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
STOCK_PRODUCTS = [
    # xmlid, name, cost, usual purchase quantity, vendor (VENDORS index; None: manufactured)
    ("product_oak_panel", "Oak panel", 60.0, 10, 1),
    ("product_chair_seat", "Chair seat", 35.0, 10, 1),
    ("product_desk_frame", "Steel desk frame", 110.0, 8, 2),
    ("product_gas_lift", "Gas lift cylinder", 22.0, 10, 2),
    ("product_led_module", "LED module", 9.0, 20, 3),
    ("product_screw_kit", "Screw kit", 2.5, 50, 0),
    ("product_standing_desk", "Standing desk", 260.0, 0, None),
    ("product_task_chair", "Task chair", 75.0, 0, None),
]
VENDORS = ["Hardware Supply", "Timber Co", "Steelworks", "Electronics"]  # after the region
BOMS = {
    # finished product: components and their quantity for one unit
    "product_standing_desk": [("product_oak_panel", 1), ("product_desk_frame", 1), ("product_screw_kit", 2)],
    "product_task_chair": [("product_chair_seat", 1), ("product_gas_lift", 1), ("product_screw_kit", 1)],
}
# Reordering rules: products whose minimum is set above / below what the demo leaves on hand.
ORDERPOINTS_BELOW = ["product_desk_frame", "product_gas_lift"]
ORDERPOINTS_ABOVE = ["product_oak_panel", "product_screw_kit"]
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
    load_operations_data(env, list(companies.values()))
    load_people_data(env, list(companies.values()))
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


def load_operations_data(env, companies):
    """Per company: a year of purchases (received on time or late, billed), reordering
    rules, manufacturing orders (with mrp) and payments, for the Procurement, Inventory,
    Manufacturing and Financial dashboards. Seeded, loaded once (its own marker)."""
    params = env["ir.config_parameter"].sudo()
    if params.get_param(OPERATIONS_MARKER) or "purchase.order" not in env or "stock.picking" not in env:
        return
    now = datetime.now().replace(microsecond=0)
    products = _stock_products(env, companies)
    for company in companies:
        company_env = _company_env(env, company)
        bank = _bank_journal(company_env)
        # One generator per part and company: each part's figures stay the same whatever
        # the others draw (or whether mrp is installed).
        _load_purchases(company_env, random.Random(f"purchases {company.name}"), products, bank, now)  # noqa: S311
        if "mrp.production" in env:
            _load_manufacturing(company_env, random.Random(f"manufacturing {company.name}"), products, now)  # noqa: S311
        _load_reordering_rules(company_env, products)
        _load_customer_payments(company_env, random.Random(f"payments {company.name}"), bank, now)  # noqa: S311
        _load_statement_lines(company_env, bank, now)
    params.set_param(OPERATIONS_MARKER, now.isoformat())


def load_people_data(env, companies):
    """Per company: salespeople sharing its orders, a year of CRM leads won, lost and open
    from several sources (with crm), and for its employees a second department,
    contracts (hr_contract), time off (hr_holidays), two months of attendances
    (hr_attendance) and one departure: the Sales & CRM and Human resources dashboards.
    Seeded, loaded once (its own marker)."""
    params = env["ir.config_parameter"].sudo()
    if params.get_param(PEOPLE_MARKER):
        return
    now = datetime.now().replace(microsecond=0)
    for company in companies:
        company_env = _company_env(env, company)
        rng = random.Random(f"people {company.name}")  # noqa: S311
        salespeople = _load_salespeople(company_env, company) if "sale.order" in env else env["res.users"]
        if "crm.lead" in env:
            _load_leads(company_env, company, rng, salespeople, now)
        if "hr.employee" in env:
            _load_staff(company_env, company, rng, now)
    params.set_param(PEOPLE_MARKER, now.isoformat())


def _load_salespeople(company_env, company):
    """Two salespeople of the company, who share its sales orders."""
    env = company_env
    region = company.name.split()[-1]
    salesman = env.ref("sales_team.group_sale_salesman")
    users = env["res.users"].create(
        [
            {
                "name": f"{first} {region}",
                "login": f"{first.lower()}.{region.lower()}",
                "company_id": company.id,
                "company_ids": [(6, 0, [company.id])],
                "groups_id": [(4, env.ref("base.group_user").id), (4, salesman.id)],
            }
            for first in ("Sam", "Sofia")
        ]
    )
    orders = env["sale.order"].search([("company_id", "=", company.id)], order="id")
    for index, order in enumerate(orders):
        order.user_id = users[index % 2]
    return users


def _load_leads(company_env, company, rng, salespeople, now):
    """A sales team and forty opportunities over the last year: won, lost or still open
    in a stage of the pipeline, each from a source; created and closed on past days."""
    env = company_env
    team = env["crm.team"].create({"name": f"Sales {company.name.split()[-1]}", "company_id": company.id})
    sources = [
        env["utm.source"].search([("name", "=", name)], limit=1) or env["utm.source"].create({"name": name})
        for name in LEAD_SOURCES
    ]
    open_stages = env["crm.stage"].search([("is_won", "=", False)], order="sequence")
    Lead = env["crm.lead"]
    for index in range(40):
        created = now - timedelta(days=rng.randint(20, 364))
        lead = Lead.create(
            {
                "name": f"{company.name.split()[-1]} opportunity {index + 1}",
                "type": "opportunity",
                "company_id": company.id,
                "team_id": team.id,
                "user_id": salespeople[index % len(salespeople)].id if salespeople else False,
                "source_id": rng.choice(sources).id,
                "expected_revenue": rng.randint(5, 80) * 100,
                "stage_id": rng.choice(open_stages).id,
            }
        )
        outcome = index % 4
        if outcome == 0:
            lead.action_set_won()
        elif outcome == 1:
            lead.action_set_lost()
        closed = created + timedelta(days=rng.randint(3, 19)) if outcome in (0, 1) else None
        # create_date and date_closed are stamped by Odoo: put them back in the past.
        env.cr.execute(
            "UPDATE crm_lead SET create_date = %s, date_closed = COALESCE(%s, date_closed) WHERE id = %s",
            [created, closed, lead.id],
        )
    env.invalidate_all()


def _load_staff(company_env, company, rng, now):
    """A second department, a contract per employee, time off, attendances on the last
    sixty weekdays, and one employee who left last month."""
    env = company_env
    employees = env["hr.employee"].search([("company_id", "=", company.id)], order="id")
    if not employees:
        return
    operations = env["hr.department"].create({"name": "Operations", "company_id": company.id})
    employees += env["hr.employee"].create(
        [
            {
                "name": f"{company.name.split()[-1]} operator {n}",
                "company_id": company.id,
                "department_id": operations.id,
            }
            for n in (1, 2)
        ]
    )
    today = now.date()
    if "hr.contract" in env:
        for employee in employees:
            env["hr.contract"].create(
                {
                    "name": f"{employee.name} contract",
                    "employee_id": employee.id,
                    "company_id": company.id,
                    "department_id": employee.department_id.id,
                    "wage": rng.randint(28, 60) * 100,
                    "date_start": today - timedelta(days=rng.randint(120, 900)),
                    "state": "open",
                }
            )
    if "hr.leave" in env:
        types = [env.ref("hr_holidays.holiday_status_sl"), env.ref("hr_holidays.holiday_status_unpaid")]
        Leave = env["hr.leave"].with_context(leave_skip_date_check=True, leave_fast_create=True, tracking_disable=True)
        for employee in employees:
            for _leave in range(2):
                start = _weekday(today - timedelta(days=rng.randint(10, 300)))
                leave = Leave.create(
                    {
                        "employee_id": employee.id,
                        "holiday_status_id": rng.choice(types).id,
                        "request_date_from": start,
                        "request_date_to": start + timedelta(days=rng.randint(0, 2)),
                    }
                )
                if leave.state == "confirm":
                    leave.action_approve()
                if leave.state == "validate1":  # a type approved twice (Unpaid: manager and officer)
                    leave.action_validate()
    if "hr.attendance" in env:
        tz = company.partner_id.tz
        values = []
        for days_ago in range(1, 85):
            day = today - timedelta(days=days_ago)
            if day.weekday() >= 5:
                continue
            for employee in employees:
                start = _utc(
                    datetime.combine(day, datetime.min.time()) + timedelta(hours=8, minutes=rng.randint(0, 60)), tz
                )
                values.append(
                    {
                        "employee_id": employee.id,
                        "check_in": start,
                        "check_out": start + timedelta(hours=rng.randint(6, 9), minutes=rng.randint(0, 59)),
                    }
                )
        env["hr.attendance"].create(values)
    leaver = employees[-1]
    leaver.write({"departure_date": today.replace(day=1) - timedelta(days=3)})
    leaver.action_archive()


def _weekday(day):
    """The day, or the Monday after it when it falls on a weekend."""
    return day + timedelta(days=(7 - day.weekday()) % 7) if day.weekday() >= 5 else day


def _utc(local, tz):
    """The naive UTC datetime Odoo stores for a wall-clock time in timezone tz."""
    return pytz.timezone(tz).localize(local).astimezone(pytz.UTC).replace(tzinfo=None)


def _company_env(env, company):
    # The company's own defaults (warehouse, picking types, journals, taxes) and records.
    return env(context=dict(env.context, allowed_company_ids=[company.id]))


def _expect_state(records, state):
    # button_validate / button_mark_done return a wizard instead of acting when Odoo has
    # a question (backorder, consumption): stop rather than leave half-done demo data.
    if any(record.state != state for record in records):
        raise RuntimeError(f"{records} not {state}: {records.mapped('state')}")


def _stock_products(env, companies):
    """The storable products bought, stocked and manufactured, shared by the companies,
    each company with its own cost."""
    products = {}
    for xmlid, name, cost, _lot, vendor in STOCK_PRODUCTS:
        values = {
            "name": name,
            "type": "consu",
            "is_storable": True,
            "purchase_ok": vendor is not None,
            "sale_ok": vendor is None,
            "purchase_method": "receive",  # billed as received: received, not billed = "to bill"
        }
        products[xmlid] = _upsert(env, xmlid, "product.product", values)
        for company in companies:
            products[xmlid].with_company(company).standard_price = cost
    return products


def _bank_journal(company_env):
    """The company's bank journal, its payments posted on its bank account."""
    bank = company_env["account.journal"].search(
        [("type", "=", "bank"), ("company_id", "=", company_env.company.id)], limit=1
    )
    # The demo has no bank statements to match payments with: on the bank account itself
    # (not an outstanding account a statement would clear) they are money in the bank,
    # which the cash-flow view reads.
    methods = bank.inbound_payment_method_line_ids | bank.outbound_payment_method_line_ids
    methods.payment_account_id = bank.default_account_id
    return bank


def _pay(company_env, moves, journal, day, now):
    """Register the payment of invoices or bills, unless it would be in the future."""
    if day > now.date():
        return
    wizard = (
        company_env["account.payment.register"]
        .with_context(active_model="account.move", active_ids=moves.ids)
        .create({"payment_date": day, "journal_id": journal.id})
    )
    wizard._create_payments()


def _load_purchases(company_env, rng, products, bank, now):
    """15 confirmed orders over the year, 4 vendors in turn: the 12 oldest received (a
    quarter of them late), 10 of those billed, 9 bills paid; the 3 latest to receive;
    then 2 requests for quotation."""
    company = company_env.company
    region = company.name.split()[-1]
    vendors = company_env["res.partner"].create(
        [{"name": f"{region} {name}", "company_id": company.id, "is_company": True} for name in VENDORS]
    )
    for index in range(15):
        vendor = index % len(VENDORS)
        ordered = now - timedelta(days=(14 - index) * 25 + rng.randint(1, 10), hours=rng.randint(0, 8))
        planned = ordered + timedelta(days=rng.randint(7, 14))
        lines = [
            (products[xmlid], round(cost * rng.uniform(0.95, 1.1), 2), rng.randint(lot, 2 * lot))
            for xmlid, _name, cost, lot, product_vendor in STOCK_PRODUCTS
            if product_vendor == vendor
        ]
        order = _purchase_order(company_env, vendors[vendor], lines, ordered, planned, rng)
        if index >= 12:
            continue  # the latest orders are still to receive
        if index % 4 == 1:
            received = planned + timedelta(days=rng.randint(2, 6))  # late
        else:
            received = planned - timedelta(days=rng.randint(0, 2))  # on time
        _receive(order, received)
        if index in (6, 11):
            continue  # received, the vendor's bill not in yet
        bill = _bill(order, received.date() + timedelta(days=rng.randint(0, 4)))
        if index != 10:  # the latest bill is not paid yet
            _pay(company_env, bill, bank, bill.invoice_date + timedelta(days=rng.randint(7, 30)), now)
    # Two requests for quotation sent this month, not confirmed yet (drawn last: the
    # orders above keep their figures).
    for vendor in (0, 2):
        asked = now - timedelta(days=rng.randint(1, 10))
        lines = [(products[xmlid], cost, lot) for xmlid, _name, cost, lot, v in STOCK_PRODUCTS if v == vendor]
        _purchase_order(company_env, vendors[vendor], lines, asked, asked + timedelta(days=10), rng, confirm=False)


def _purchase_order(company_env, vendor, lines, ordered, planned, rng, confirm=True):
    """A purchase order of lines (product, unit price, quantity), confirmed unless asked
    not to (a request for quotation)."""
    order = company_env["purchase.order"].create(
        {
            "partner_id": vendor.id,
            "company_id": company_env.company.id,
            "date_order": ordered,
            "order_line": [
                (0, 0, {"product_id": p.id, "price_unit": price, "product_qty": qty, "date_planned": planned})
                for p, price, qty in lines
            ],
        }
    )
    if not confirm:
        return order
    order.button_confirm()
    order.date_approve = ordered + timedelta(hours=rng.randint(1, 24))  # confirming stamps "now"
    return order


def _receive(order, received):
    """Receive everything ordered, on the day `received`."""
    picking = order.picking_ids.filtered(lambda p: p.state not in ("done", "cancel"))
    for move in picking.move_ids:
        move.quantity = move.product_uom_qty
    picking.move_ids.picked = True  # all counted: no backorder question
    picking.button_validate()
    _expect_state(picking, "done")
    # Validating stamps "now"; the on-time figures compare these dates with the plan.
    picking.date_done = received
    picking.move_ids.date = received
    picking.move_line_ids.date = received


def _bill(order, day):
    """The vendor bill of what the order received, posted on `day`."""
    order.action_create_invoice()
    bill = order.invoice_ids.filtered(lambda move: move.state == "draft")
    bill.invoice_date = day
    bill.action_post()
    return bill


def _load_manufacturing(company_env, rng, products, now):
    """A bill of materials per finished product; 8 orders over the year: 6 done (2 after
    their deadline), the 7th in progress, the latest confirmed."""
    company = company_env.company
    boms = {
        finished: company_env["mrp.bom"].create(
            {
                "product_tmpl_id": products[finished].product_tmpl_id.id,
                "product_qty": 1,
                "company_id": company.id,
                "bom_line_ids": [
                    (0, 0, {"product_id": products[component].id, "product_qty": qty}) for component, qty in components
                ],
            }
        )
        for finished, components in BOMS.items()
    }
    # Started after the first receipts, so the components were there to consume.
    starts = [270 - 40 * index + rng.randint(0, 10) for index in range(6)] + [12 + rng.randint(0, 3), 2]
    for index, days_ago in enumerate(starts):
        finished = list(BOMS)[index % len(BOMS)]
        start = now - timedelta(days=days_ago)
        production = company_env["mrp.production"].create(
            {
                "product_id": products[finished].id,
                "product_qty": rng.randint(2, 5),
                "bom_id": boms[finished].id,
                "company_id": company.id,
                "date_start": start,
                "date_deadline": start + timedelta(days=7),
            }
        )
        production.action_confirm()
        if index == 7:
            continue  # confirmed, not started
        if index == 6:
            production.qty_producing = 1  # one unit under way: in progress
            production._set_qty_producing()
            continue
        if index in (2, 5):
            done = production.date_deadline + timedelta(days=rng.randint(1, 4))  # late
        else:
            done = start + timedelta(days=rng.randint(2, 6))  # on time
        _produce(production, done)


def _produce(production, done):
    """Consume the components and produce the whole quantity, on the day `done`."""
    production.qty_producing = production.product_qty
    production._set_qty_producing()  # components' quantities as the BoM says: no consumption question
    production.button_mark_done()
    _expect_state(production, "done")
    # Marking done stamps "now" (date_finished also dates the finished moves).
    production.date_finished = done
    production.move_raw_ids.date = done
    (production.move_raw_ids | production.move_finished_ids).move_line_ids.date = done


def _load_reordering_rules(company_env, products):
    """Manual rules (no scheduler orders anything) in the company's stock: minimums set
    from what the receipts and productions left on hand, some above it, some below."""
    company = company_env.company
    warehouse = company_env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
    lots = {xmlid: lot for xmlid, _name, _cost, lot, _vendor in STOCK_PRODUCTS}
    for xmlid in ORDERPOINTS_BELOW + ORDERPOINTS_ABOVE:
        product = products[xmlid].with_env(company_env)
        on_hand = product.with_context(location=warehouse.lot_stock_id.id).qty_available
        if xmlid in ORDERPOINTS_BELOW:
            minimum = on_hand + lots[xmlid]
        else:
            minimum = on_hand // 2
        company_env["stock.warehouse.orderpoint"].create(
            {
                "product_id": product.id,
                "warehouse_id": warehouse.id,
                "location_id": warehouse.lot_stock_id.id,
                "company_id": company.id,
                "trigger": "manual",
                "product_min_qty": minimum,
                "product_max_qty": minimum + 2 * lots[xmlid],
            }
        )


def _load_customer_payments(company_env, rng, bank, now):
    """Customers pay most posted invoices 3 to 40 days after the invoice date."""
    invoices = company_env["account.move"].search(
        [
            ("company_id", "=", company_env.company.id),
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("payment_state", "=", "not_paid"),
        ],
        order="invoice_date, id",
    )
    for invoice in invoices:
        delay = rng.randint(3, 40)
        if rng.random() < 0.2:
            continue  # some customers have not paid yet
        _pay(company_env, invoice, bank, invoice.invoice_date + timedelta(days=delay), now)


def _load_statement_lines(company_env, bank, now):
    """Bank and cash entries that are not payments: the monthly office rent (money leaves
    the bank every month, not only when a vendor is paid), cash taken at a trade fair
    and petty cash spent."""
    cash = company_env["account.journal"].search(
        [("type", "=", "cash"), ("company_id", "=", company_env.company.id)], limit=1
    )
    today = now.date()
    rent = [
        {"journal_id": bank.id, "date": day, "payment_ref": f"Office rent {day:%B %Y}", "amount": -500.0}
        for day in _month_starts(today, 12)
    ]
    company_env["account.bank.statement.line"].create(
        [
            *rent,
            {"journal_id": cash.id, "date": today - timedelta(days=100), "payment_ref": "Trade fair", "amount": 480.0},
            {
                "journal_id": cash.id,
                "date": today - timedelta(days=40),
                "payment_ref": "Office supplies",
                "amount": -65.0,
            },
        ]
    )


def _month_starts(today, count):
    """The first days of the last count months, this one included, oldest first."""
    months = today.year * 12 + today.month - 1
    return [date(month // 12, month % 12 + 1, 1) for month in range(months - count + 1, months + 1)]


def configure(env):
    """The addon's connection settings, for the Superset devstack started."""
    params = env["ir.config_parameter"].sudo()
    for key in ("url", "username", "password", "token_mode", "guest_token_secret", "guest_token_audience"):
        value = os.environ.get(f"SC_DEMO_{key.upper()}")
        if value:
            params.set_param(f"superset_connector.{key}", value)


main(env)  # noqa: F821 (env is provided by odoo-bin shell)
