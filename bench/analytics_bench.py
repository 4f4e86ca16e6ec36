"""Analytics benchmark: 1M sale order lines, their orders and posted invoice lines,
generated with SQL (seeded: the same data every run), then in one run:

- dashboard queries filtered by company_id IN (...) on the plain views and on the
  materialized views: median, p95 and their ratio;
- refresh time of each materialized view, plain REFRESH vs REFRESH ... CONCURRENTLY;
- the longest a reader waits while a concurrent refresh runs (and, for contrast, during
  a plain refresh);
- a skipped refresh (sources unchanged).

Timings are printed, never asserted. Run with the Odoo venv, PYTHONPATH holding the Odoo
source and dev/ (`make bench` does it). It works on its own database, sc_bench_analytics:
a copy of the apps template with the addon, dropped afterwards unless BENCH_KEEP=1; a kept
database is reused, data included, unless BENCH_FRESH=1. BENCH_ORDERS (100000) sets the size.
SC_BENCH_SMOKE=1 (see harness.py): 300 orders, a few runs per query, on a database of its
own (sc_bench_analytics_smoke_<pid>, always new, always dropped; BENCH_KEEP is ignored).
"""

import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import harness
from figures import percentile

import odoo
from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry

from devstack import odoo as odoo_stack
from devstack import postgres, settings
from devstack.console import step
from devstack.stack import setup

SMOKE = harness.SMOKE
DB = f"sc_bench_analytics_smoke_{os.getpid()}" if SMOKE else "sc_bench_analytics"
ORDERS = harness.size("BENCH_ORDERS", 100_000, 300)  # smaller for a quick try of the script
LINES = 10 * ORDERS
PRODUCTS = 20 if SMOKE else 1_000
CUSTOMERS = 50 if SMOKE else 5_000
RUNS = {"vw": 2, "mv": 3} if SMOKE else {"vw": 20, "mv": 100}  # the plain views take seconds per query
SEED = 0.42
COMPANIES = [
    # name, currency, timezone
    ("Bench Pacific", "USD", "Pacific/Auckland"),
    ("Bench Europe", "EUR", "Europe/Brussels"),
    ("Bench America", "USD", "America/Los_Angeles"),
]


def log(message):
    print(message, flush=True)


# --- data ---------------------------------------------------------------------------


def setup_companies(env):
    """Three companies in two currencies and distant timezones, with charts of accounts."""
    Company = env["res.company"]
    main = env.ref("base.main_company")
    companies = []
    for index, (name, currency_code, tz) in enumerate(COMPANIES):
        currency = env.ref(f"base.{currency_code}")
        if not currency.active:
            currency.active = True
        company = main if index == 0 else Company.search([("name", "=", name)], limit=1)
        if not company:
            company = Company.create({"name": name, "currency_id": currency.id})
        if company.name != name:
            company.name = name
        if company.partner_id.tz != tz:
            company.partner_id.tz = tz
        if not company.chart_template:
            env["account.chart.template"].try_loading("generic_coa", company, install_demo=False)
        if company.currency_id != currency:  # (a write, even of the same value, recomputes every journal item)
            company.currency_id = currency
        companies.append(company)
    for company in companies:
        other = env.ref("base.EUR") if company.currency_id == env.ref("base.USD") else env.ref("base.USD")
        if not env["res.currency.rate"].search([("company_id", "=", company.id), ("currency_id", "=", other.id)]):
            rate = 0.9 if other == env.ref("base.EUR") else 1.1
            env["res.currency.rate"].create(
                {"name": "2020-01-01", "currency_id": other.id, "company_id": company.id, "rate": rate}
            )
    return companies


def generate(env, companies):
    """Orders, lines, posted invoices - with SQL, seeded. Skipped when already there."""
    cr = env.cr
    cr.execute("SELECT count(*) FROM account_move_line WHERE display_type = 'payment_term' AND move_name LIKE 'BINV/%'")
    if cr.fetchone()[0]:
        log("data: reusing the data of this database")
        return
    cr.execute("SELECT count(*) FROM sale_order WHERE name LIKE 'BENCH%'")
    if cr.fetchone()[0]:
        raise SystemExit("this database holds the data of an interrupted run: run with --fresh")
    start = time.perf_counter()
    products = env["product.product"].create(
        [{"name": f"Bench product {i:04d}", "list_price": 10 + i % 490, "is_storable": True} for i in range(PRODUCTS)]
    )
    env.flush_all()
    company_ids = [c.id for c in companies]
    journals = {
        c.id: env["account.journal"].search([("type", "=", "sale"), ("company_id", "=", c.id)], limit=1)
        for c in companies
    }
    receivable = {
        c.id: env["account.account"].search(
            [("account_type", "=", "asset_receivable"), ("company_ids", "in", c.id)], limit=1
        )
        for c in companies
    }
    income = {c.id: journals[c.id].default_account_id for c in companies}
    foreign = {
        c.id: (env.ref("base.EUR") if c.currency_id == env.ref("base.USD") else env.ref("base.USD")).id
        for c in companies
    }
    rate = {c.id: (0.9 if c.currency_id == env.ref("base.USD") else 1.1) for c in companies}
    cr.execute("SET work_mem = '256MB'")
    cr.execute("SELECT setseed(%s)", [SEED])
    cr.execute(
        """
        CREATE TEMP TABLE bench_company AS
        SELECT * FROM unnest(%s::int[], %s::int[], %s::int[], %s::numeric[], %s::int[], %s::int[], %s::int[], %s::int[])
            AS t(idx, company_id, currency_id, foreign_rate, foreign_currency_id, journal_id, receivable_id, income_id)
        """,
        [
            list(range(len(companies))),
            company_ids,
            [c.currency_id.id for c in companies],
            [rate[c.id] for c in companies],
            [foreign[c.id] for c in companies],
            [journals[c.id].id for c in companies],
            [receivable[c.id].id for c in companies],
            [income[c.id].id for c in companies],
        ],
    )
    cr.execute(
        """
        CREATE TEMP TABLE bench_product AS
        SELECT row_number() OVER (ORDER BY p.id) - 1 AS idx, p.id AS product_id, t.uom_id
          FROM product_product p JOIN product_template t ON t.id = p.product_tmpl_id
         WHERE p.id = ANY(%s)
        """,
        [products.ids],
    )
    cr.execute("ANALYZE bench_company")
    cr.execute("ANALYZE bench_product")
    cr.execute(
        """
        INSERT INTO res_partner (name, type, active, is_company, autopost_bills, create_date, write_date)
        SELECT 'Bench customer ' || g, 'contact', true, g %% 3 = 0, 'ask', now(), now()
          FROM generate_series(1, %s) g
        """,
        [CUSTOMERS],
    )
    cr.execute(
        """
        UPDATE res_partner SET commercial_partner_id = id
         WHERE name LIKE 'Bench customer %' AND commercial_partner_id IS NULL
        """
    )
    cr.execute(
        """
        CREATE TEMP TABLE bench_customer AS
        SELECT row_number() OVER (ORDER BY id) - 1 AS idx, id AS partner_id
          FROM res_partner WHERE name LIKE 'Bench customer %'
        """
    )
    cr.execute("ANALYZE bench_customer")
    # Orders over three years: 90 % confirmed, the rest quotations or cancelled; 10 % in the
    # other currency (its rate as currency_rate, as Odoo computes it).
    cr.execute(
        """
        CREATE TEMP TABLE bench_order AS
        SELECT x.g AS n,
               c.company_id,
               cust.partner_id,
               timestamp '2023-01-01' + x.d * interval '1095 days' AS date_order,
               CASE WHEN x.r < 0.9 THEN 'sale' WHEN x.r < 0.95 THEN 'draft' ELSE 'cancel' END AS state,
               CASE WHEN x.fx < 0.1 THEN c.foreign_currency_id ELSE c.currency_id END AS currency_id,
               CASE WHEN x.fx < 0.1 THEN c.foreign_rate ELSE 1 END AS currency_rate
          FROM (
                SELECT g, floor(random() * %(customers)s)::int AS cidx, random() AS d, random() AS r, random() AS fx
                  FROM generate_series(1, %(orders)s) g
               ) x
          JOIN bench_company c ON c.idx = x.g %% 3
          JOIN bench_customer cust ON cust.idx = x.cidx
        """,
        {"customers": CUSTOMERS, "orders": ORDERS},
    )
    cr.execute("ANALYZE bench_order")
    cr.execute(
        """
        INSERT INTO sale_order (name, company_id, partner_id, partner_invoice_id, partner_shipping_id, date_order,
                                state, picking_policy, currency_id, currency_rate, invoice_status, create_date,
                                write_date, create_uid, write_uid)
        SELECT 'BENCH' || lpad(n::text, 7, '0'), company_id, partner_id, partner_id, partner_id, date_order, state,
               'direct', currency_id, currency_rate, 'no', now(), now(), 1, 1
          FROM bench_order ORDER BY n
        """
    )
    cr.execute(
        """CREATE TEMP TABLE bench_order_id AS
           SELECT substr(name, 6)::int AS n, id AS order_id FROM sale_order WHERE name LIKE 'BENCH%'"""
    )
    cr.execute("ANALYZE bench_order_id")
    cr.execute("ANALYZE sale_order")
    cr.commit()
    log(f"data: {ORDERS:,} orders in {time.perf_counter() - start:.0f} s")
    generate_lines(cr, start)
    generate_invoices(cr, start)


def generate_lines(cr, start):
    """1M order lines, 10 per order, random products, quantities and prices."""
    cr.execute(
        """
        CREATE TEMP TABLE bench_line AS
        SELECT x.l AS n, s.id AS order_id, s.company_id, s.currency_id, s.currency_rate, s.partner_id, s.state,
               p.product_id, p.uom_id, x.qty, x.price, o.date_order
          FROM (
                SELECT l, floor(random() * %(products)s)::int AS pidx, (1 + floor(random() * 10))::numeric AS qty,
                       round((5 + random() * 495)::numeric, 2) AS price
                  FROM generate_series(1, %(lines)s) l
               ) x
          JOIN bench_order o ON o.n = 1 + (x.l - 1) %% %(orders)s
          JOIN bench_order_id oid ON oid.n = o.n
          JOIN sale_order s ON s.id = oid.order_id
          JOIN bench_product p ON p.idx = x.pidx
        """,
        {"lines": LINES, "orders": ORDERS, "products": PRODUCTS},
    )
    cr.execute("ANALYZE bench_line")
    cr.execute(
        """
        INSERT INTO sale_order_line (order_id, company_id, currency_id, order_partner_id, product_id, product_uom, name,
                                     product_uom_qty, price_unit, price_subtotal, price_total, discount, customer_lead,
                                     state, qty_delivered, qty_invoiced, qty_to_invoice, untaxed_amount_invoiced,
                                     untaxed_amount_to_invoice, invoice_status, sequence, create_date, write_date,
                                     create_uid, write_uid)
        SELECT order_id, company_id, currency_id, partner_id, product_id, uom_id, 'Bench line', qty, price, qty * price,
               qty * price, 0, 0, state, 0, 0, 0, 0, 0, 'no', 10, now(), now(), 1, 1
          FROM bench_line ORDER BY n
        """
    )
    cr.commit()
    log(f"data: + {LINES:,} order lines; {time.perf_counter() - start:.0f} s")


def generate_invoices(cr, start):
    """One posted customer invoice per confirmed order, a few days later, with the order's
    lines in the company currency; half of them paid."""
    cr.execute(
        """
        CREATE TEMP TABLE bench_invoice AS
        SELECT s.id AS order_id, s.company_id, s.partner_id, s.currency_id, s.currency_rate, c.journal_id,
               c.receivable_id, c.income_id, c.currency_id AS company_currency_id,
               (s.date_order + floor(random() * 5) * interval '1 day')::date AS invoice_date,
               random() < 0.5 AS paid
          FROM sale_order s JOIN bench_company c ON c.company_id = s.company_id
         WHERE s.name LIKE 'BENCH%' AND s.state = 'sale'
        """
    )
    cr.execute("ANALYZE bench_invoice")
    cr.execute(
        """
        INSERT INTO account_move (name, journal_id, company_id, currency_id, state, move_type, auto_post, date,
                                  invoice_date, invoice_date_due, partner_id, commercial_partner_id, invoice_origin,
                                  payment_state, create_date, write_date, create_uid, write_uid)
        SELECT 'BINV/' || order_id, journal_id, company_id, currency_id, 'posted', 'out_invoice', 'no', invoice_date,
               invoice_date, invoice_date + 30, partner_id, partner_id, 'BENCH' || order_id,
               CASE WHEN paid THEN 'paid' ELSE 'not_paid' END, now(), now(), 1, 1
          FROM bench_invoice ORDER BY order_id
        """
    )
    cr.execute(
        """ALTER TABLE bench_invoice ADD COLUMN move_id int;
           UPDATE bench_invoice i SET move_id = m.id FROM account_move m
            WHERE m.name = 'BINV/' || i.order_id AND m.journal_id = i.journal_id"""
    )
    cr.execute("ANALYZE bench_invoice")
    cr.execute("ANALYZE account_move")
    cr.commit()
    log(f"data: + invoices; {time.perf_counter() - start:.0f} s")
    cr.execute(
        """
        INSERT INTO account_move_line (move_id, move_name, journal_id, company_id, company_currency_id, currency_id,
                                       account_id, partner_id, product_id, product_uom_id, display_type, name, quantity,
                                       price_unit, price_subtotal, price_total, balance, debit, credit, amount_currency,
                                       amount_residual, amount_residual_currency, date, invoice_date, parent_state,
                                       reconciled, sequence, create_date, write_date, create_uid, write_uid)
        SELECT i.move_id, 'BINV/' || i.order_id, i.journal_id, i.company_id, i.company_currency_id, i.currency_id,
               i.income_id, i.partner_id, l.product_id, l.uom_id, 'product', 'Bench line', l.qty, l.price,
               l.qty * l.price, l.qty * l.price,
               -round(l.qty * l.price / i.currency_rate, 2), 0, round(l.qty * l.price / i.currency_rate, 2),
               -l.qty * l.price, 0, 0, i.invoice_date, i.invoice_date, 'posted', false, 10, now(), now(), 1, 1
          FROM bench_line l
          JOIN bench_invoice i ON i.order_id = l.order_id
         ORDER BY l.n
        """
    )
    cr.commit()
    log(f"data: + invoice product lines; {time.perf_counter() - start:.0f} s")
    cr.execute(
        """
        INSERT INTO account_move_line (move_id, move_name, journal_id, company_id, company_currency_id, currency_id,
                                       account_id, partner_id, display_type, name, quantity, price_unit, balance,
                                       debit, credit, amount_currency, amount_residual, amount_residual_currency,
                                       date, invoice_date, date_maturity, parent_state, reconciled, sequence,
                                       create_date, write_date, create_uid, write_uid)
        SELECT m.id, m.name, m.journal_id, m.company_id, i.company_currency_id, m.currency_id, i.receivable_id,
               m.partner_id, 'payment_term', m.name, 1, 0, -sum(p.balance), -sum(p.balance), 0, -sum(p.amount_currency),
               CASE WHEN i.paid THEN 0 ELSE -sum(p.balance) END,
               CASE WHEN i.paid THEN 0 ELSE -sum(p.amount_currency) END,
               m.date, m.invoice_date, m.invoice_date_due, 'posted', i.paid, 100, now(), now(), 1, 1
          FROM account_move m
          JOIN bench_invoice i ON i.move_id = m.id
          JOIN account_move_line p ON p.move_id = m.id AND p.display_type = 'product'
         GROUP BY m.id, m.name, m.journal_id, m.company_id, i.company_currency_id, m.currency_id, i.receivable_id,
                  m.partner_id, m.date, m.invoice_date, m.invoice_date_due, i.paid
        """
    )
    cr.execute("ANALYZE")
    cr.commit()
    log(f"data: + receivable lines; all generated in {time.perf_counter() - start:.0f} s")


# --- measurements -------------------------------------------------------------------


def timed(cursor, sql, params=None):
    start = time.perf_counter()
    cursor.execute(sql, params)
    cursor.fetchall()
    return (time.perf_counter() - start) * 1000


QUERIES = {
    "monthly revenue per company": (
        "account_revenue_monthly",
        "SELECT company_id, month, revenue, expenses FROM superset_analytics.{v}_account_revenue_monthly "
        "WHERE company_id = ANY(%(companies)s) AND month >= '2025-01-01' ORDER BY company_id, month",
    ),
    "monthly sales KPIs": (
        "sale_monthly",
        "SELECT company_id, month, untaxed_revenue, confirmed_orders, customers "
        "FROM superset_analytics.{v}_sale_monthly WHERE company_id = ANY(%(companies)s) ORDER BY company_id, month",
    ),
    "top 10 products of a year": (
        "sale_product_monthly",
        "SELECT product_id, product_name, sum(untaxed_revenue) AS revenue, sum(quantity) AS quantity "
        "FROM superset_analytics.{v}_sale_product_monthly WHERE company_id = ANY(%(companies)s) "
        "AND month >= '2025-01-01' AND month < '2026-01-01' GROUP BY 1, 2 ORDER BY revenue DESC LIMIT 10",
    ),
    "daily KPIs over a year": (
        "sale_daily",
        "SELECT date, sum(confirmed_orders), sum(untaxed_revenue), sum(customers) "
        "FROM superset_analytics.{v}_sale_daily WHERE company_id = ANY(%(companies)s) "
        "AND date >= '2025-01-01' AND date < '2026-01-01' GROUP BY date ORDER BY date",
    ),
}


def dashboard_queries(cursor, companies):
    log(
        f"\n## Dashboard queries (company_id IN two of three companies; {RUNS['vw']} runs on the views, "
        f"{RUNS['mv']} on the materialized views, after 2 warm-ups; ms)\n"
    )
    log(
        "| query | view median | view p95 | materialized median | materialized p95 | materialized max "
        "| ratio of medians | ratio of p95 |"
    )
    log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    params = {"companies": companies[:2]}
    results = {}
    for label, (_name, sql) in QUERIES.items():
        figures = {}
        for kind in ("vw", "mv"):
            query = sql.format(v=kind)
            for _ in range(2):
                timed(cursor, query, params)
            runs = [timed(cursor, query, params) for _ in range(RUNS[kind])]
            figures[kind] = (statistics.median(runs), percentile(runs, 0.95), max(runs))
        (vm, vp, _vx), (mm, mp, mx) = figures["vw"], figures["mv"]
        results[label] = figures
        log(f"| {label} | {vm:.0f} | {vp:.0f} | {mm:.2f} | {mp:.2f} | {mx:.2f} | {vm / mm:,.0f}x | {vp / mp:,.0f}x |")
    return results


class ReaderProbe:
    """A reader running a dashboard query in a loop on its own connection, and a monitor
    sampling the reader's wait state from pg_stat_activity every few milliseconds."""

    def __init__(self, dbname, query, params):
        self.dbname, self.query, self.params = dbname, query, params
        self.stop = threading.Event()
        self.samples, self.waits, self.pid = [], [], []

    def _connection(self):
        cr = odoo.sql_db.db_connect(self.dbname).cursor()
        cr._cnx.autocommit = True
        return cr

    def _read(self):
        with self._connection() as cr:
            cr.execute("SELECT pg_backend_pid()")
            self.pid.append(cr.fetchone()[0])
            while not self.stop.is_set():
                start = time.perf_counter()
                cr.execute(self.query, self.params)
                cr.fetchall()
                self.samples.append((start, time.perf_counter() - start))

    def _monitor(self):
        with self._connection() as cr:
            while not self.pid and not self.stop.is_set():
                time.sleep(0.001)
            while not self.stop.is_set():
                cr.execute("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = %s", self.pid)
                row = cr.fetchone()
                self.waits.append((time.perf_counter(), bool(row and row[0])))
                time.sleep(0.002)

    def during(self, action):
        """Run action while reading; (action's result, its duration, read times before it,
        read times overlapping it, the longest lock wait overlapping it) - in seconds."""
        threads = [threading.Thread(target=self._read), threading.Thread(target=self._monitor)]
        for thread in threads:
            thread.start()
        time.sleep(1.0)
        begin = time.perf_counter()
        result = action()
        end = time.perf_counter()
        time.sleep(0.5)
        self.stop.set()
        for thread in threads:
            thread.join()
        before = [d for s, d in self.samples if s + d < begin]
        overlapping = [d for s, d in self.samples if s < end and s + d > begin]
        longest, streak = 0.0, None
        for moment, locked in self.waits:
            if locked and streak is None:
                streak = moment
            elif not locked and streak is not None:
                if moment > begin and streak < end:
                    longest = max(longest, moment - streak)
                streak = None
        return result, end - begin, before, overlapping, longest


def reader_waits(registry, dbname, view_name, query, companies):
    """A reader querying view_name while the model refreshes it (concurrently), then while a
    plain REFRESH runs. Two measures: the reader's longest query (wall clock: lock waits and
    CPU contention on this 2-core machine) and its longest lock wait."""

    def concurrent():
        with registry.cursor() as cr:
            view = api.Environment(cr, SUPERUSER_ID, {})["superset.analytics.view"].search([("name", "=", view_name)])
            return view._refresh(force=True)

    def plain():
        with registry.cursor() as cr:
            cr.execute(f"REFRESH MATERIALIZED VIEW superset_analytics.{view_name}")
        return "done"

    log(f"\n## A reader during a refresh of {view_name} (reader: top 10 products of a year, in a loop)\n")
    log(
        "| refresh | refresh time (s) | reads during it | read median before (ms) | longest read during it (ms) "
        "| longest lock wait of the reader (ms) |"
    )
    log("| --- | ---: | ---: | ---: | ---: | ---: |")
    for label, action in (("the model's refresh (CONCURRENTLY)", concurrent), ("plain REFRESH, for contrast", plain)):
        probe = ReaderProbe(dbname, query, {"companies": companies[:2]})
        status, duration, before, during, lock_wait = probe.during(action)
        # (at smoke sizes a refresh can be over before a read overlaps it)
        normal = statistics.median(before) * 1000 if before else float("nan")
        longest = max(during, default=0) * 1000
        log(
            f"| {label}: {status} | {duration:.2f} | {len(during)} | {normal:.1f} | {longest:.1f} "
            f"| {lock_wait * 1000:.0f} |"
        )
    log(f"(load average after it: {' '.join(f'{v:.2f}' for v in os.getloadavg())})")


def skipped_refresh(registry, view_name):
    """The model's refresh when no source changed: runs that return "skipped", timed."""
    with registry.cursor() as cr:
        cr.execute("SELECT pg_stat_force_next_flush()")  # counters of this process's writes, published
    with registry.cursor() as cr:
        cr.execute("SELECT 1")
    times, statuses = [], []
    for _ in range(12):
        with registry.cursor() as cr:
            view = api.Environment(cr, SUPERUSER_ID, {})["superset.analytics.view"].search([("name", "=", view_name)])
            start = time.perf_counter()
            statuses.append(view._refresh())
            cr.commit()
            times.append((time.perf_counter() - start) * 1000)
    skipped = [t for t, s in zip(times, statuses, strict=True) if s == "skipped"]
    log(f"\n## Skipped refresh of {view_name} (sources unchanged; the model's refresh, committed)\n")
    log(f"statuses: {', '.join(statuses)}")
    if skipped:
        log(
            f"skipped runs: {len(skipped)}, median {statistics.median(skipped):.1f} ms, "
            f"p95 {percentile(skipped, 0.95):.1f} ms, max {max(skipped):.1f} ms"
        )


def main():
    harness.announce()
    stack = setup()
    run_dir = Path(tempfile.mkdtemp(prefix="sc-bench-analytics-")) if SMOKE else settings.RUN_DIR / "bench"
    run_dir.mkdir(parents=True, exist_ok=True)
    keep = os.environ.get("BENCH_KEEP") and not SMOKE
    try:
        if SMOKE or os.environ.get("BENCH_FRESH") or not postgres.db_exists(DB):
            step(f"Installing superset_connector into a copy of the apps template ({DB})")
            odoo_stack.install(stack, stack.template("apps"), DB, run_dir / "install.log")
        config = odoo_stack.write_config(run_dir / "odoo.conf", stack.odoo_path, db=DB, logfile=run_dir / "odoo.log")
        measure(str(config), DB)
    finally:
        if not keep:
            odoo.sql_db.close_all()
            odoo_stack.drop_db(DB)


def measure(config, dbname):
    odoo.tools.config.parse_config(["-c", config, "-d", dbname, "--log-level=warn"])
    registry = Registry(dbname)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        companies = setup_companies(env)
        company_ids = [c.id for c in companies]
        generate(env, companies)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        views = env["superset.analytics.view"].search([("kind", "=", "materialized"), ("state", "=", "installed")])
        start = time.perf_counter()
        for view in views:
            view._refresh(force=True)
        log(f"first fill of {len(views)} materialized views: {time.perf_counter() - start:.1f} s")
        mv_names = views.mapped("name")
    db = odoo.sql_db.db_connect(dbname)
    with db.cursor() as cr:
        cr._cnx.autocommit = True
        cr.execute("SELECT count(*) FROM sale_order_line")
        lines = cr.fetchone()[0]
        cr.execute("SELECT count(*) FROM account_move_line WHERE parent_state = 'posted' AND display_type = 'product'")
        log(f"\n# Analytics benchmark: {lines:,} sale order lines, {cr.fetchone()[0]:,} posted invoice lines\n")
        cr.execute("SELECT version()")
        log(f"{cr.fetchone()[0]}; {odoo.release.version}")
        dashboard_queries(cr, company_ids)
        log("\n## Refresh of each materialized view (s)\n")
        log("| materialized view | rows | plain REFRESH | REFRESH CONCURRENTLY, nothing changed |")
        log("| --- | ---: | ---: | ---: |")
        for name in mv_names:
            relation = f"superset_analytics.{name}"
            start = time.perf_counter()
            cr.execute(f"REFRESH MATERIALIZED VIEW {relation}")
            plain = time.perf_counter() - start
            start = time.perf_counter()
            cr.execute(f"REFRESH MATERIALIZED VIEW CONCURRENTLY {relation}")
            concurrent = time.perf_counter() - start
            cr.execute(f"SELECT count(*) FROM {relation}")  # noqa: S608
            log(f"| {name} | {cr.fetchone()[0]:,} | {plain:.2f} | {concurrent:.2f} |")
    _name, top_products = QUERIES["top 10 products of a year"]
    reader_waits(registry, dbname, "mv_sale_product_monthly", top_products.format(v="mv"), company_ids)
    skipped_refresh(registry, "mv_sale_monthly")
    with registry.cursor() as cr:
        # 1 % of the lines change: the next refresh runs, concurrently.
        cr.execute(
            "UPDATE sale_order_line SET price_unit = price_unit + 1, price_subtotal = price_subtotal + product_uom_qty "
            "WHERE mod(id, 100) = 0"
        )
        changed = cr.rowcount
    with registry.cursor() as cr:
        view = api.Environment(cr, SUPERUSER_ID, {})["superset.analytics.view"].search(
            [("name", "=", "mv_sale_monthly")]
        )
        start = time.perf_counter()
        status = view._refresh()
        cr.commit()
        log(
            f"after {changed:,} lines changed: the model's refresh of mv_sale_monthly {status} in "
            f"{time.perf_counter() - start:.2f} s"
        )


if __name__ == "__main__":
    sys.exit(main())
