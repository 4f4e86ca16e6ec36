from collections import Counter, defaultdict
from datetime import date

from odoo import Command
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import SQL

from .analytics_common import as_date, new_company, usd_eur_and_main_company, utc, view_rows

CENT = 0.005
# Odoo 18's definitions (crm.lead has no won_status field in 18.0): the domains of the
# Won and Lost filters of the pipeline analysis (crm_opportunity_report_views.xml), as
# action_set_won / action_set_lost leave a lead; Ongoing: the Ongoing filter of the
# leads' search view (crm_lead_views.xml).
WON = [("active", "=", True), ("probability", "=", 100)]
LOST = [("active", "=", False), ("probability", "=", 0)]
ONGOING = [("active", "=", True), ("stage_id.is_won", "=", False)]


@tagged("post_install", "-at_install")
class TestAnalyticsFiguresCrm(TransactionCase):
    """vw_sale_order and vw_crm_lead, the views of the Sales & CRM dashboard, against
    Odoo's own figures (sale.report, the ORM's search_count and read_group on crm.lead),
    on three companies in two currencies and three timezones far from UTC (Auckland +13,
    Brussels +1, Los Angeles -8, the Brussels one in French): two salespeople and orders
    without one, orders just before and after local midnight at a month's end, one in
    the other currency, a quotation, a cancelled order and one holding a note only;
    leads and opportunities open, won, lost and archived without being lost, from two
    UTM sources and none, and a lead without company whose sales team has one."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.usd, cls.eur, cls.company_a = usd_eur_and_main_company(env)  # main company: USD
        env["res.lang"]._activate_lang("fr_FR")
        cls.company_a.partner_id.write({"tz": "Pacific/Auckland", "lang": "en_US"})
        cls.company_b = new_company(env, "CRM Europe", cls.eur, "Europe/Brussels", "fr_FR")
        cls.company_c = new_company(env, "CRM West", cls.usd, "America/Los_Angeles", "en_US")
        cls.companies = cls.company_a | cls.company_b | cls.company_c
        env.user.company_ids = [Command.link(c.id) for c in cls.companies]
        # 1 USD = 0.8 EUR: the rate of EUR in the USD companies, of USD (1.25) in the EUR one.
        for company, currency, rate in (
            (cls.company_a, cls.eur, 0.8),
            (cls.company_c, cls.eur, 0.8),
            (cls.company_b, cls.usd, 1.25),
        ):
            env["res.currency.rate"].create(
                {"name": "2024-01-01", "currency_id": currency.id, "company_id": company.id, "rate": rate}
            )
        cls.foreign = {cls.company_a: cls.eur, cls.company_b: cls.usd, cls.company_c: cls.eur}
        cls.rate = {cls.company_a: 0.8, cls.company_b: 1.25, cls.company_c: 0.8}

        cls.seller_1, cls.seller_2 = (
            new_test_user(
                env,
                login=login,
                name=name,
                groups="sales_team.group_sale_salesman",
                company_id=cls.company_a.id,
                company_ids=[Command.set(cls.companies.ids)],
            )
            for login, name in (("crm_seller_1", "Sally Seller"), ("crm_seller_2", "Sam Seller"))
        )
        cls.seller = {cls.company_a: cls.seller_1, cls.company_b: cls.seller_2, cls.company_c: cls.seller_1}
        Team = env["crm.team"]
        cls.team = {
            company: Team.create({"name": f"{company.name} Team", "company_id": company.id, "user_id": seller.id})
            for company, seller in cls.seller.items()
        }
        cls.team[cls.company_b].with_context(lang="fr_FR").name = "Équipe Europe"

        Product = env["product.product"]
        cls.chair = Product.create({"name": "CRM Chair", "list_price": 100.0})
        cls.table = Product.create({"name": "CRM Table", "list_price": 50.0})
        cls.customer_x = env["res.partner"].create({"name": "CRM Customer X", "is_company": True})
        cls.contact_x = env["res.partner"].create({"name": "Xavier of X", "parent_id": cls.customer_x.id})
        cls.customer_y = env["res.partner"].create({"name": "CRM Yvonne Y"})

        cls.orders = {company: cls._sales(company) for company in cls.companies}
        cls._crm()
        env.flush_all()

    # --- fixtures -------------------------------------------------------------------
    @classmethod
    def _tz(cls, company):
        return company.partner_id.tz

    @classmethod
    def _pricelist(cls, company, currency):
        return cls.env["product.pricelist"].create(
            {"name": f"{company.name} {currency.name}", "currency_id": currency.id, "company_id": company.id}
        )

    @classmethod
    def _order(cls, company, user, partner, local, lines, pricelist, state="sale"):
        """lines: (product, quantity, price) or a display line's values (a dict)."""
        order = (
            cls.env["sale.order"]
            .with_company(company)
            .create(
                {
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "pricelist_id": pricelist.id,
                    "user_id": user.id,
                    "team_id": cls.team[company].id,
                    "order_line": [
                        Command.create(
                            line
                            if isinstance(line, dict)
                            else {
                                "product_id": line[0].id,
                                "product_uom_qty": line[1],
                                "price_unit": line[2],
                                "tax_id": [Command.clear()],
                            }
                        )
                        for line in lines
                    ],
                }
            )
        )
        if state in ("sale", "cancel"):
            order.action_confirm()
        if state == "cancel":
            order._action_cancel()
        order.date_order = utc(local, cls._tz(company))
        return order

    @classmethod
    def _sales(cls, company):
        own, foreign = cls._pricelist(company, company.currency_id), cls._pricelist(company, cls.foreign[company])
        nobody = cls.env["res.users"]
        s1, s2, x, y = cls.seller_1, cls.seller_2, cls.customer_x, cls.customer_y
        section = {"display_type": "line_section", "name": "Furniture"}
        return {
            "january": cls._order(
                company,
                s1,
                cls.contact_x,
                "2025-01-31 23:30",
                [section, (cls.chair, 3, 100.0), (cls.table, 1, 50.0)],
                own,
            ),
            "foreign": cls._order(company, s1, y, "2025-02-01 00:30", [(cls.chair, 2, 100.0)], foreign),
            "february": cls._order(company, s2, x, "2025-02-03 10:00", [(cls.table, 2, 50.0)], own),
            "quotation": cls._order(company, s2, x, "2025-02-04 10:00", [(cls.chair, 1, 100.0)], own, "draft"),
            "cancelled": cls._order(company, s1, y, "2025-02-05 12:00", [(cls.chair, 1, 100.0)], own, "cancel"),
            "nobody": cls._order(company, nobody, y, "2025-02-10 12:00", [(cls.table, 1, 50.0)], own),
            "note_only": cls._order(
                company, s1, x, "2025-02-11 12:00", [{"display_type": "line_note", "name": "To discuss"}], own
            ),
            "march": cls._order(company, s2, x, "2025-03-15 09:00", [(cls.chair, 1, 80.0)], own),
        }

    @classmethod
    def _crm(cls):
        env = cls.env
        Stage = env["crm.stage"]
        cls.stage_new = Stage.create({"name": "CRM Test New", "sequence": 1})
        cls.stage_proposal = Stage.create({"name": "CRM Test Proposal", "sequence": 2})
        cls.stage_proposal.with_context(lang="fr_FR").name = "Proposition de test"
        cls.web = env["utm.source"].create({"name": "CRM Test Web"})
        cls.referral = env["utm.source"].create({"name": "CRM Test Referral"})
        cls.email = env["utm.medium"].create({"name": "CRM Test Email"})
        cls.spring = env["utm.campaign"].create({"title": "CRM Test Spring"})
        cls.spring.with_context(lang="fr_FR").title = "Printemps de test"
        cls.leads = {company: cls._leads(company) for company in cls.companies}
        # A lead without company: a team without company and no salesperson leave it none
        # (crm.lead._compute_company_id); its team gets a company afterwards.
        cls.team_later = env["crm.team"].create({"name": "CRM Team Later"})
        cls.orphan = cls._lead(
            cls.company_c,
            "Orphan opportunity",
            "opportunity",
            cls.stage_new,
            300.0,
            50.0,
            None,
            team=cls.team_later,
            user=env["res.users"],
        )
        cls.team_later.company_id = cls.company_c

    @classmethod
    def _lead(cls, company, name, kind, stage, expected, probability, source, team=None, user=None, **values):
        return (
            cls.env["crm.lead"]
            .with_company(company)
            .create(
                {
                    "name": name,
                    "type": kind,
                    "stage_id": stage.id,
                    "team_id": (team or cls.team[company]).id,
                    "user_id": (cls.seller[company] if user is None else user).id,
                    "expected_revenue": expected,
                    "probability": probability,
                    "source_id": source.id if source else False,
                    **values,
                }
            )
        )

    @classmethod
    def _leads(cls, company):
        lead, new, proposal = cls._lead, cls.stage_new, cls.stage_proposal
        leads = {
            "open_new": lead(company, "Open new", "opportunity", new, 1000.0, 10.0, cls.web, medium_id=cls.email.id),
            "open_proposal": lead(
                company,
                "Open proposal",
                "opportunity",
                proposal,
                2500.55,
                33.33,
                cls.referral,
                campaign_id=cls.spring.id,
            ),
            "open_lead": lead(company, "Open lead", "lead", new, 0.0, 5.0, cls.web),
            "won": lead(company, "Won", "opportunity", proposal, 4000.0, 60.0, cls.referral),
            "lost": lead(company, "Lost", "opportunity", new, 700.0, 20.0, None),
            "lost_lead": lead(company, "Lost lead", "lead", new, 0.0, 10.0, cls.web),
            "archived": lead(company, "Archived", "opportunity", new, 900.0, 50.0, cls.web),
        }
        if company == cls.company_b:
            leads["lost_2"] = lead(company, "Lost again", "opportunity", proposal, 1200.0, 40.0, cls.referral)
        leads["won"].action_set_won()
        for key in ("lost", "lost_lead", "lost_2"):
            if key in leads:
                leads[key].action_set_lost()
        leads["archived"].write({"active": False})  # archived, not lost: its probability stays
        cls.env.flush_all()
        tz = cls._tz(company)
        cls.env.cr.execute(
            "UPDATE crm_lead SET create_date = %s, date_closed = %s WHERE id = %s",
            [utc("2025-01-10 23:30", tz), utc("2025-02-01 00:30", tz), leads["won"].id],
        )
        cls.env.invalidate_all()
        return leads

    # --- helpers --------------------------------------------------------------------
    def _rows(self, view, company):
        return view_rows(self.env, view, SQL("company_id = %s", company.id))

    def _lead_domain(self, company):
        """The view's company: the lead's, else its team's."""
        return [
            "|",
            ("company_id", "=", company.id),
            "&",
            ("company_id", "=", False),
            ("team_id.company_id", "=", company.id),
        ]

    def _lead_model(self):
        return self.env["crm.lead"].with_context(active_test=False)

    def _sale_report(self, company, domain, groupby, aggregates):
        report = self.env["sale.report"].with_context(allowed_company_ids=company.ids, tz=self._tz(company))
        return report._read_group([("company_id", "=", company.id), *domain], groupby, aggregates)

    # --- sale orders ----------------------------------------------------------------
    def test_sales_per_salesperson_and_month_equal_sale_report(self):
        """Per company, salesperson (none included) and month of the order day in the
        company's timezone, the confirmed rows of vw_sale_order sum to sale.report's
        untaxed total (price_subtotal, company currency, to the cent) and count
        sale.report's confirmed orders (distinct order_reference)."""
        for company in self.companies:
            with self.subTest(company=company.name):
                expected = {
                    (user.id or None, as_date(month)): (revenue, orders)
                    for user, month, revenue, orders in self._sale_report(
                        company,
                        [("state", "=", "sale")],
                        ["user_id", "date:month"],
                        ["price_subtotal:sum", "order_reference:count_distinct"],
                    )
                }
                self.assertIn((None, date(2025, 2, 1)), expected)
                got = defaultdict(lambda: [0.0, 0])
                for row in self._rows("vw_sale_order", company):
                    if row["confirmed"]:
                        key = (row["salesperson_id"], row["order_date"].replace(day=1))
                        got[key][0] += float(row["untaxed_revenue"])
                        got[key][1] += row["orders"]
                self.assertEqual(set(got), set(expected))
                for key, (revenue, orders) in expected.items():
                    self.assertAlmostEqual(got[key][0], revenue, delta=CENT, msg=key)
                    self.assertEqual(got[key][1], orders, key)
                # The fixture's own figures, so that both sides cannot be wrong alike.
                s1, s2 = self.seller_1.id, self.seller_2.id
                self.assertAlmostEqual(got[s1, date(2025, 1, 1)][0], 350.0, delta=CENT)
                self.assertAlmostEqual(got[s1, date(2025, 2, 1)][0], 200.0 / self.rate[company], delta=CENT)
                self.assertEqual((got[s2, date(2025, 2, 1)][1], got[None, date(2025, 2, 1)][1]), (1, 1))

    def test_midnight_orders_fall_on_the_local_day(self):
        """An order placed at 23:30 local on January 31 has order_date January 31, one at
        00:30 on February 1 has February 1, in every company, whatever the UTC day
        (Auckland's are both on January 31 in UTC, Los Angeles' both on February 1)."""
        for company in self.companies:
            with self.subTest(company=company.name):
                rows = {r["order_id"]: r for r in self._rows("vw_sale_order", company)}
                self.assertEqual(rows[self.orders[company]["january"].id]["order_date"], date(2025, 1, 31))
                self.assertEqual(rows[self.orders[company]["foreign"].id]["order_date"], date(2025, 2, 1))

    def test_quotations_and_cancelled_orders_are_not_confirmed(self):
        """A quotation is a row with quotation 1, confirmed 0 and its untaxed amount; a
        cancelled order has both 0 and state 'cancel'; a confirmed order counts confirmed 1
        and quotation 0; an order holding a note only has no row, as it has none in
        sale.report; each row is one order (orders = 1)."""
        for company in self.companies:
            orders = self.orders[company]
            with self.subTest(company=company.name):
                rows = {r["order_id"]: r for r in self._rows("vw_sale_order", company)}
                quotation, cancelled, confirmed = (
                    rows[orders[key].id] for key in ("quotation", "cancelled", "february")
                )
                self.assertEqual((quotation["state"], quotation["confirmed"], quotation["quotation"]), ("draft", 0, 1))
                self.assertAlmostEqual(float(quotation["untaxed_revenue"]), 100.0, delta=CENT)
                self.assertEqual((cancelled["state"], cancelled["confirmed"], cancelled["quotation"]), ("cancel", 0, 0))
                self.assertEqual((confirmed["state"], confirmed["confirmed"], confirmed["quotation"]), ("sale", 1, 0))
                self.assertEqual(orders["note_only"].state, "sale")
                self.assertNotIn(orders["note_only"].id, rows)
                self.assertFalse(
                    self._sale_report(company, [("name", "=", orders["note_only"].name)], [], ["__count"])[0][0]
                )
                self.assertEqual({r["orders"] for r in rows.values()}, {1})
                self.assertEqual(set(rows), {o.id for k, o in orders.items() if k != "note_only"})

    def test_foreign_currency_order_is_converted_as_sale_report(self):
        """An order in the other currency (200.00) counts at 200 / the rate in the company's
        currency, equal to sale.report's price_subtotal of that order; the section line
        of the January order adds nothing (350.00, sale.report's figure)."""
        for company in self.companies:
            orders = self.orders[company]
            with self.subTest(company=company.name):
                self.assertEqual(orders["foreign"].currency_id, self.foreign[company])
                rows = {r["order_id"]: r for r in self._rows("vw_sale_order", company)}
                for key, amount in (("foreign", 200.0 / self.rate[company]), ("january", 350.0)):
                    [(report,)] = self._sale_report(
                        company, [("name", "=", orders[key].name)], [], ["price_subtotal:sum"]
                    )
                    self.assertAlmostEqual(report, amount, delta=CENT)
                    self.assertAlmostEqual(float(rows[orders[key].id]["untaxed_revenue"]), report, delta=CENT)

    def test_order_labels_in_the_company_language(self):
        """salesperson is the user's name, '(none)' for an order without salesperson (its
        salesperson_id NULL); the team name is in the company's language (French in the
        Brussels company); the customer of an order to a contact is its company (the
        commercial partner)."""
        for company in self.companies:
            orders = self.orders[company]
            with self.subTest(company=company.name):
                rows = {r["order_id"]: r for r in self._rows("vw_sale_order", company)}
                january, nobody = rows[orders["january"].id], rows[orders["nobody"].id]
                self.assertEqual(
                    (january["salesperson_id"], january["salesperson"]), (self.seller_1.id, "Sally Seller")
                )
                self.assertEqual((nobody["salesperson_id"], nobody["salesperson"]), (None, "(none)"))
                self.assertEqual(
                    (january["customer_id"], january["customer_name"]), (self.customer_x.id, "CRM Customer X")
                )
                self.assertEqual(january["team_id"], self.team[company].id)
                team_name = "Équipe Europe" if company == self.company_b else f"{company.name} Team"
                self.assertEqual(january["team_name"], team_name)

    # --- CRM ------------------------------------------------------------------------
    def test_won_lost_and_conversion_equal_odoo(self):
        """Per company, the won and lost counts (the won / lost columns and the rows of
        status 'won' / 'lost') equal crm.lead's search_count with Odoo 18's Won (active,
        probability 100) and Lost (archived, probability 0) domains, and the conversion
        rate won / (won + lost) is the same; the lead archived without being lost
        (probability 50) is neither, its status 'archived'."""
        expected_counts = {self.company_a: (1, 2), self.company_b: (1, 3), self.company_c: (1, 2)}
        for company in self.companies:
            with self.subTest(company=company.name):
                domain = self._lead_domain(company)
                won = self._lead_model().search_count(domain + WON)
                lost = self._lead_model().search_count(domain + LOST)
                self.assertEqual((won, lost), expected_counts[company])
                rows = self._rows("vw_crm_lead", company)
                statuses = Counter(r["status"] for r in rows)
                self.assertEqual((statuses["won"], statuses["lost"]), (won, lost))
                view_won, view_lost = sum(r["won"] for r in rows), sum(r["lost"] for r in rows)
                self.assertEqual((view_won, view_lost), (won, lost))
                self.assertAlmostEqual(view_won / (view_won + view_lost), won / (won + lost))
                archived = self.leads[company]["archived"]
                self.assertEqual((archived.active, archived.probability), (False, 50.0))
                (row,) = [r for r in rows if r["lead_id"] == archived.id]
                self.assertEqual((row["status"], row["won"], row["lost"]), ("archived", 0, 0))

    def test_open_opportunities_per_stage_equal_odoo_pipeline(self):
        """Per company and stage, the opportunities of status 'open' equal crm.lead's
        active opportunities in a stage that is not won (Odoo's Ongoing filter), grouped
        by stage; stage_sequence is the stage's sequence and the stage name is in the
        company's language (French in the Brussels company)."""
        for company in self.companies:
            with self.subTest(company=company.name):
                expected = {
                    stage.id: count
                    for stage, count in self.env["crm.lead"]._read_group(
                        self._lead_domain(company) + ONGOING + [("type", "=", "opportunity")],
                        ["stage_id"],
                        ["__count"],
                    )
                }
                rows = [r for r in self._rows("vw_crm_lead", company) if r["type"] == "opportunity"]
                got = Counter(r["stage_id"] for r in rows if r["status"] == "open")
                self.assertEqual(dict(got), expected)
                self.assertEqual(expected[self.stage_proposal.id], 1)
                proposal = next(r for r in rows if r["stage_id"] == self.stage_proposal.id)
                self.assertEqual(proposal["stage_sequence"], self.stage_proposal.sequence)
                name = "Proposition de test" if company == self.company_b else "CRM Test Proposal"
                self.assertEqual(proposal["stage_name"], name)

    def test_leads_per_source_equal_odoo(self):
        """Per company and UTM source, the leads (sum of leads, open, won, lost and
        archived, leads and opportunities) equal crm.lead's read_group on source_id over
        all its records of the company; a lead without source is named '(none)'; medium
        and campaign names come along (the campaign's title in the company's language)."""
        for company in self.companies:
            with self.subTest(company=company.name):
                expected = {
                    source.id or None: count
                    for source, count in self._lead_model()._read_group(
                        self._lead_domain(company), ["source_id"], ["__count"]
                    )
                }
                rows = self._rows("vw_crm_lead", company)
                got = Counter()
                for row in rows:
                    got[row["source_id"]] += row["leads"]
                self.assertEqual(dict(got), expected)
                self.assertEqual(
                    {(r["source_id"], r["source_name"]) for r in rows},
                    {(None, "(none)"), (self.web.id, "CRM Test Web"), (self.referral.id, "CRM Test Referral")},
                )
                leads = {r["lead_id"]: r for r in rows}
                open_new = leads[self.leads[company]["open_new"].id]
                self.assertEqual((open_new["medium_name"], open_new["campaign_name"]), ("CRM Test Email", "(none)"))
                campaign = leads[self.leads[company]["open_proposal"].id]["campaign_name"]
                self.assertEqual(campaign, "Printemps de test" if company == self.company_b else "CRM Test Spring")

    def test_prorated_revenue_equals_odoo(self):
        """Per company, the prorated revenue of the open rows equals the sum of crm.lead's
        prorated_revenue over the Ongoing leads and opportunities (read_group); per lead,
        expected_revenue, probability and prorated_revenue (2500.55 x 33.33% = 833.43)
        equal the record's."""
        for company in self.companies:
            with self.subTest(company=company.name):
                [(expected,)] = self.env["crm.lead"]._read_group(
                    self._lead_domain(company) + ONGOING, [], ["prorated_revenue:sum"]
                )
                rows = self._rows("vw_crm_lead", company)
                got = sum(float(r["prorated_revenue"]) for r in rows if r["status"] == "open")
                self.assertAlmostEqual(got, expected, delta=CENT)
                for row in rows:
                    lead = self.env["crm.lead"].browse(row["lead_id"])
                    self.assertAlmostEqual(float(row["prorated_revenue"]), lead.prorated_revenue, delta=CENT)
                    self.assertAlmostEqual(float(row["expected_revenue"]), lead.expected_revenue, delta=CENT)
                    self.assertAlmostEqual(row["probability"], lead.probability)
                proposal = next(r for r in rows if r["lead_id"] == self.leads[company]["open_proposal"].id)
                self.assertAlmostEqual(float(proposal["prorated_revenue"]), 833.43, delta=CENT)

    def test_companies_never_mix_and_a_lead_without_company_takes_its_team(self):
        """No lead of another company is in a company's rows (each row's lead has the
        row's company, or none and a team of that company), every lead of the three
        companies is in exactly one company's rows, and the lead without company (Odoo
        left it none) is in the rows of its team's company only."""
        self.assertFalse(self.orphan.company_id)
        self.assertEqual(self.orphan.team_id.company_id, self.company_c)
        seen = Counter()
        for company in self.companies:
            with self.subTest(company=company.name):
                ids = {r["lead_id"] for r in self._rows("vw_crm_lead", company)}
                self.assertEqual(ids, set(self._lead_model().search(self._lead_domain(company)).ids))
                for lead in self._lead_model().browse(ids):
                    self.assertEqual(lead.company_id or lead.team_id.company_id, company)
                others = self.companies - company
                self.assertFalse(ids & set(self._lead_model().search([("company_id", "in", others.ids)]).ids))
                seen.update(ids)
                self.assertEqual(self.orphan.id in ids, company == self.company_c)
        self.assertEqual(set(seen.values()), {1})

    def test_created_and_closed_days_in_company_timezone(self):
        """The won opportunity created at 23:30 local on January 10 and won at 00:30 local
        on February 1 has created_on January 10 and closed_on February 1 in every company,
        whatever the UTC day; an open lead has no closed_on; type tells leads from
        opportunities."""
        for company in self.companies:
            leads = self.leads[company]
            with self.subTest(company=company.name):
                rows = {r["lead_id"]: r for r in self._rows("vw_crm_lead", company)}
                won = rows[leads["won"].id]
                self.assertEqual(
                    (won["status"], won["created_on"], won["closed_on"]), ("won", date(2025, 1, 10), date(2025, 2, 1))
                )
                open_lead = rows[leads["open_lead"].id]
                self.assertEqual(
                    (open_lead["type"], open_lead["status"], open_lead["closed_on"]), ("lead", "open", None)
                )
                self.assertEqual(rows[leads["open_new"].id]["type"], "opportunity")
                self.assertEqual(rows[leads["open_new"].id]["salesperson"], self.seller[company].name)
