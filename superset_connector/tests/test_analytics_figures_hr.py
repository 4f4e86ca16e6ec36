from collections import defaultdict
from datetime import date, timedelta

from odoo import Command, fields
from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL

from .analytics_common import as_date, local_day, new_company, usd_eur_and_main_company, utc, view_rows

HR_VIEWS = ("vw_hr_employee", "vw_hr_leave", "vw_hr_attendance_daily", "vw_hr_contract")
HOUR = 1e-6
MARCH = date(2025, 3, 1)
APRIL = date(2025, 4, 1)


@tagged("post_install", "-at_install")
class TestAnalyticsFiguresHr(TransactionCase):
    """The Human resources views against Odoo's own figures (hr.employee search_count,
    the ORM's read_group of hr.leave, hr.attendance and hr.contract), on three companies:
    the main one in USD (New York), one in EUR (Brussels, French names), one in USD
    (Tokyo); with active, future-leaving, departed and archived employees, approved,
    refused, waiting and cancelled time off, a Tokyo leave whose start is on the day before
    in UTC, check-ins at 23:30 in New York and 07:30 in Tokyo (another UTC day), an open
    attendance, and running, draft, expired, archived and cancelled contracts."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.usd, cls.eur, cls.company_a = usd_eur_and_main_company(env)  # main company: USD
        env["res.lang"]._activate_lang("fr_FR")
        cls.company_a.partner_id.write({"tz": "America/New_York", "lang": "en_US"})
        cls.company_b = new_company(env, "HR Europe", cls.eur, "Europe/Brussels", "fr_FR", chart=False)
        cls.company_c = new_company(env, "HR Asia", cls.usd, "Asia/Tokyo", "en_US", chart=False)
        cls.companies = cls.company_a | cls.company_b | cls.company_c
        env.user.company_ids = [Command.link(c.id) for c in cls.companies]
        cls.calendar = {
            company: env["resource.calendar"].create(
                {"name": f"HR 40h {company.name}", "tz": cls._tz(company), "company_id": company.id}
            )
            for company in cls.companies
        }
        Department, Job = env["hr.department"], env["hr.job"]
        a, b, c = cls.company_a, cls.company_b, cls.company_c
        cls.sales = Department.create({"name": "HR Sales", "company_id": a.id})
        cls.ops = Department.create({"name": "HR Ops", "company_id": a.id})
        cls.support = Department.create({"name": "HR Support", "company_id": b.id})
        cls.support.with_context(lang="fr_FR").name = "Assistance RH"
        cls.studio = Department.create({"name": "HR Studio", "company_id": c.id})
        cls.seller = Job.create({"name": "HR Seller", "company_id": a.id})
        cls.agent = Job.create({"name": "HR Agent", "company_id": b.id})
        cls.agent.with_context(lang="fr_FR").name = "Agent RH"

        cls.a_one = cls._employee(a, "Ada One", cls.sales, cls.seller)
        cls.a_two = cls._employee(a, "Abe Two", cls.sales, cls.seller)
        cls.a_leaving = cls._employee(a, "Ari Leaving", cls.ops)  # departure in a month: still employed
        cls.a_departed = cls._employee(a, "Axel Departed", cls.ops)
        cls.a_archived = cls._employee(a, "Amy Archived", cls.ops)  # archived, no departure date
        cls.a_nobody = cls._employee(a, "Al Nodepartment")
        cls.b_one = cls._employee(b, "Bea One", cls.support, cls.agent)
        cls.b_two = cls._employee(b, "Bob Two", cls.support, cls.agent)
        cls.c_one = cls._employee(c, "Chie One", cls.studio)

        cls._contracts()
        cls._leaves()
        cls._attendances()
        today_a = cls._today(a)
        cls.a_leaving.departure_date = today_a + timedelta(days=30)
        cls.a_departed.write({"departure_date": date(2025, 2, 28), "active": False})
        cls.a_archived.active = False
        env.flush_all()

    # --- fixtures -------------------------------------------------------------------
    @classmethod
    def _tz(cls, company):
        return company.partner_id.tz

    @classmethod
    def _today(cls, company):
        return fields.Date.context_today(cls.env["res.partner"].with_context(tz=cls._tz(company)))

    @classmethod
    def _employee(cls, company, name, department=None, job=None):
        return (
            cls.env["hr.employee"]
            .with_company(company)
            .create(
                {
                    "name": name,
                    "company_id": company.id,
                    "department_id": department.id if department else False,
                    "job_id": job.id if job else False,
                    "resource_calendar_id": cls.calendar[company].id,
                    "tz": cls._tz(company),
                }
            )
        )

    @classmethod
    def _contract(cls, employee, start, wage, state="open", end=None, active=True):
        """A contract as the form makes it: create() does not fill department, job and
        company from the employee (their compute shares its method with defaulted fields)."""
        return (
            cls.env["hr.contract"]
            .with_company(employee.company_id)
            .create(
                {
                    "name": f"{employee.name} {start}",
                    "employee_id": employee.id,
                    "department_id": employee.department_id.id,
                    "job_id": employee.job_id.id,
                    "company_id": employee.company_id.id,
                    "resource_calendar_id": employee.resource_calendar_id.id,
                    "date_start": start,
                    "date_end": end or False,
                    "wage": wage,
                    "state": state,
                    "active": active,
                }
            )
        )

    @classmethod
    def _contracts(cls):
        cls.k_a_one = cls._contract(cls.a_one, "2024-01-01", 3000.0)
        cls.k_a_one_archived = cls._contract(cls.a_one, "2020-01-01", 1000.0, "close", "2020-12-31", active=False)
        cls.k_a_two_expired = cls._contract(cls.a_two, "2023-01-01", 2500.0, "close", "2024-05-31")
        cls.k_a_two = cls._contract(cls.a_two, "2024-06-01", 4000.0)
        cls.k_a_leaving_draft = cls._contract(cls.a_leaving, "2025-03-01", 3500.0, "draft")
        cls.k_a_leaving_cancelled = cls._contract(cls.a_leaving, "2022-01-01", 9999.0, "cancel")
        cls.k_a_departed = cls._contract(cls.a_departed, "2024-01-01", 2800.0, "close", "2025-02-28")
        cls.k_b_one = cls._contract(cls.b_one, "2024-02-01", 3500.0)
        cls.k_b_two = cls._contract(cls.b_two, "2024-09-01", 4500.0)
        cls.k_c_one = cls._contract(cls.c_one, "2024-04-01", 5000.0)

    @classmethod
    def _leaves(cls):
        LeaveType = cls.env["hr.leave.type"]
        common = {"requires_allocation": "no", "leave_validation_type": "hr", "create_calendar_meeting": False}
        cls.paid = LeaveType.create({"name": "HR Paid", "company_id": False, **common})  # every company's
        cls.paid.with_context(lang="fr_FR").name = "Congés RH"
        cls.sick = LeaveType.create({"name": "HR Sick", "company_id": cls.company_a.id, **common})
        a_one, a_two = cls.a_one, cls.a_two
        cls.leave_a_paid = cls._leave(a_one, cls.paid, "2025-03-17", "2025-03-19")  # Monday to Wednesday
        cls.leave_a_sick = cls._leave(a_two, cls.sick, "2025-03-20", "2025-03-20")
        cls.leave_a_departed = cls._leave(cls.a_departed, cls.paid, "2025-02-10", "2025-02-11")
        cls.leave_a_refused = cls._leave(a_one, cls.paid, "2025-03-24", "2025-03-24", "refuse")
        cls.leave_a_waiting = cls._leave(a_two, cls.paid, "2025-03-25", "2025-03-25", "confirm")
        cls.leave_a_cancelled = cls._leave(a_two, cls.paid, "2025-03-26", "2025-03-26", "cancel")
        cls.leave_b = cls._leave(cls.b_one, cls.paid, "2025-03-18", "2025-03-18")
        cls.leave_c_march = cls._leave(cls.c_one, cls.paid, "2025-03-14", "2025-03-14")
        # Starts at 08:00 in Tokyo: 23:00 UTC on March 31.
        cls.leave_c_april = cls._leave(cls.c_one, cls.paid, "2025-04-01", "2025-04-02")

    @classmethod
    def _leave(cls, employee, leave_type, first, last, state="validate"):
        leave = (
            cls.env["hr.leave"]
            .with_company(employee.company_id)
            .create(
                {
                    "employee_id": employee.id,
                    "holiday_status_id": leave_type.id,
                    "request_date_from": first,
                    "request_date_to": last,
                }
            )
        )
        if state == "validate":
            leave.action_approve()
        elif state == "refuse":
            leave.action_refuse()
        elif state == "cancel":
            leave.write({"state": "cancel"})
        assert leave.state == state, (leave.state, state)
        return leave

    @classmethod
    def _attendance(cls, employee, check_in, check_out=None):
        tz = cls._tz(employee.company_id)
        return cls.env["hr.attendance"].create(
            {
                "employee_id": employee.id,
                "check_in": utc(check_in, tz),
                "check_out": utc(check_out, tz) if check_out else False,
            }
        )

    @classmethod
    def _attendances(cls):
        cls._attendance(cls.a_one, "2025-03-10 09:00", "2025-03-10 17:00")
        # 23:30 in New York is 03:30 UTC on the 11th: March 10 all the same.
        cls.late_night = cls._attendance(cls.a_one, "2025-03-10 23:30", "2025-03-11 01:30")
        cls._attendance(cls.a_two, "2025-03-11 08:00", "2025-03-11 12:00")
        cls.open_attendance = cls._attendance(cls.a_two, "2025-03-12 08:00")  # not checked out
        cls._attendance(cls.a_departed, "2025-02-03 09:00", "2025-02-03 17:00")
        cls._attendance(cls.b_one, "2025-03-10 09:00", "2025-03-10 18:00")
        # 07:30 in Tokyo is 22:30 UTC on the 10th: March 11.
        cls.early_morning = cls._attendance(cls.c_one, "2025-03-11 07:30", "2025-03-11 16:30")

    # --- helpers --------------------------------------------------------------------
    def _rows(self, view, company, where=None):
        condition = SQL("company_id = %s", company.id)
        return view_rows(self.env, view, SQL("%s AND %s", condition, where) if where else condition)

    def _employees(self, company):
        return self.env["hr.employee"].with_context(active_test=False).search([("company_id", "=", company.id)])

    def _employed_domain(self, company):
        """Employees still employed today in the company: no departure date or a later one,
        and not archived without a departure date (an ORM domain, archived included)."""
        today = self._today(company)
        return ["|", ("departure_date", ">", today), "&", ("departure_date", "=", False), ("active", "=", True)]

    def _status(self, company):
        """{employee id: 'active' | 'departed'} from vw_hr_employee."""
        return {r["employee_id"]: r["employee_status"] for r in self._rows("vw_hr_employee", company)}

    # --- employees ------------------------------------------------------------------
    def test_employees_per_department_equal_hr_employee(self):
        """Per company: one row per employee, archived ones too (hr.employee with
        active_test off); per department, employees, active and departed ones equal
        hr.employee's search_count (active: no departure date or one after today in the
        company's timezone, not archived without one); start_date is the first contract's
        start not cancelled (archived contracts too), departure_date the departure date
        or, archived without one, the day of archiving; names in the company's language."""
        Employee = self.env["hr.employee"].with_context(active_test=False)
        for company in self.companies:
            tz = self._tz(company)
            with self.subTest(company=company.name):
                rows = {r["employee_id"]: r for r in self._rows("vw_hr_employee", company)}
                employees = self._employees(company)
                self.assertEqual(set(rows), set(employees.ids))
                self.assertTrue(all(r["employees"] == 1 for r in rows.values()))
                per_department = defaultdict(lambda: [0, 0, 0])
                for row in rows.values():
                    per_department[row["department_id"]][0] += row["employees"]
                    per_department[row["department_id"]][1 if row["employee_status"] == "active" else 2] += 1
                self.assertEqual({r["employee_status"] for r in rows.values()} - {"active", "departed"}, set())
                for department_id, (total, active, departed) in per_department.items():
                    base = [("company_id", "=", company.id), ("department_id", "=", department_id or False)]
                    employed = Employee.search_count(base + self._employed_domain(company))
                    self.assertEqual(total, Employee.search_count(base), department_id)
                    self.assertEqual(active, employed, department_id)
                    self.assertEqual(departed, total - employed, department_id)
                Contract = self.env["hr.contract"].with_context(active_test=False)
                for employee in employees:
                    row = rows[employee.id]
                    contracts = Contract.search([("employee_id", "=", employee.id), ("state", "!=", "cancel")])
                    start = min(contracts.mapped("date_start")) if contracts else local_day(employee.create_date, tz)
                    self.assertEqual(row["start_date"], start, employee.name)
                    departure = employee.departure_date or (
                        local_day(employee.write_date, tz) if not employee.active else None
                    )
                    self.assertEqual(row["departure_date"], departure, employee.name)
                    self.assertEqual(
                        (row["employee_name"], row["department_name"], row["job_name"]),
                        (
                            employee.name,
                            employee.department_id.with_context(lang=company.partner_id.lang).name or None,
                            employee.job_id.with_context(lang=company.partner_id.lang).name or None,
                        ),
                    )
        a = {r["employee_id"]: r for r in self._rows("vw_hr_employee", self.company_a)}
        self.assertEqual(
            [a[e.id]["employee_status"] for e in (self.a_one, self.a_leaving, self.a_departed, self.a_archived)],
            ["active", "active", "departed", "departed"],
        )
        self.assertEqual(a[self.a_one.id]["start_date"], date(2020, 1, 1))  # the archived contract's
        self.assertEqual(a[self.a_leaving.id]["start_date"], date(2025, 3, 1))  # the draft, not the cancelled
        self.assertEqual(a[self.a_archived.id]["departure_date"], self._today(self.company_a))
        per_department = defaultdict(int)
        for row in a.values():
            if row["department_id"] == self.ops.id and row["employee_status"] == "active":
                per_department[row["department_name"]] += row["employees"]
        self.assertEqual(dict(per_department), {"HR Ops": 1})
        (b_one,) = self._rows("vw_hr_employee", self.company_b, SQL("employee_id = %s", self.b_one.id))
        self.assertEqual((b_one["department_name"], b_one["job_name"]), ("Assistance RH", "Agent RH"))

    # --- time off -------------------------------------------------------------------
    def test_leave_days_per_type_and_month_equal_hr_leave(self):
        """Per company, the days and hours of time off per type and month (of the first day,
        in the company's timezone) equal read_group's sums of number_of_days and
        number_of_hours of the approved hr.leave of the company's employees; the rows are
        exactly those leaves (refused, waiting and cancelled ones, and another company's,
        left out); the days are the leave's first and last local days; the status is the
        employee's in vw_hr_employee."""
        Leave = self.env["hr.leave"]
        for company in self.companies:
            tz = self._tz(company)
            with self.subTest(company=company.name):
                rows = {r["leave_id"]: r for r in self._rows("vw_hr_leave", company)}
                approved = Leave.search([("employee_company_id", "=", company.id), ("state", "=", "validate")])
                self.assertEqual(set(rows), set(approved.ids))
                expected = Leave.with_context(tz=tz)._read_group(
                    [("employee_company_id", "=", company.id), ("state", "=", "validate")],
                    ["holiday_status_id", "date_from:month"],
                    ["number_of_days:sum", "number_of_hours:sum"],
                )
                got = defaultdict(lambda: [0.0, 0.0])
                for row in rows.values():
                    got[row["leave_type_id"], row["month"]][0] += row["number_of_days"]
                    got[row["leave_type_id"], row["month"]][1] += row["number_of_hours"]
                self.assertEqual(set(got), {(t.id, as_date(m)) for t, m, _d, _h in expected})
                for leave_type, month, days, hours in expected:
                    self.assertAlmostEqual(got[leave_type.id, as_date(month)][0], days, delta=HOUR)
                    self.assertAlmostEqual(got[leave_type.id, as_date(month)][1], hours, delta=HOUR)
                status = self._status(company)
                lang = company.partner_id.lang
                for leave in approved:
                    row = rows[leave.id]
                    self.assertEqual(row["date_from"], local_day(leave.date_from, tz))
                    self.assertEqual(row["date_to"], local_day(leave.date_to, tz))
                    self.assertEqual(row["month"], row["date_from"].replace(day=1))
                    self.assertEqual(row["employee_status"], status[leave.employee_id.id])
                    self.assertEqual(row["leave_type_name"], leave.holiday_status_id.with_context(lang=lang).name)
                    self.assertEqual(row["department_id"], leave.department_id.id or None)
        a = self._rows("vw_hr_leave", self.company_a)
        march = defaultdict(float)
        for row in a:
            if row["month"] == MARCH:
                march[row["leave_type_name"]] += row["number_of_days"]
        self.assertEqual(dict(march), {"HR Paid": 3.0, "HR Sick": 1.0})
        ids = {r["leave_id"] for r in a}
        for leave in (self.leave_a_refused, self.leave_a_waiting, self.leave_a_cancelled, self.leave_b):
            self.assertNotIn(leave.id, ids)
        departed = next(r for r in a if r["leave_id"] == self.leave_a_departed.id)
        self.assertEqual((departed["month"], departed["employee_status"]), (date(2025, 2, 1), "departed"))
        (april,) = self._rows("vw_hr_leave", self.company_c, SQL("leave_id = %s", self.leave_c_april.id))
        self.assertEqual(self.leave_c_april.date_from.date(), date(2025, 3, 31))  # in UTC
        self.assertEqual(
            (april["date_from"], april["date_to"], april["month"], april["number_of_days"]),
            (APRIL, date(2025, 4, 2), APRIL, 2.0),
        )
        (b_leave,) = self._rows("vw_hr_leave", self.company_b)
        self.assertEqual((b_leave["leave_type_name"], b_leave["department_name"]), ("Congés RH", "Assistance RH"))

    # --- attendances ----------------------------------------------------------------
    def test_attendance_hours_per_day_equal_hr_attendance(self):
        """Per company, employee and day of check-in in the company's timezone, the
        attendances, worked hours and overtime hours equal read_group's count and sums of
        the closed hr.attendance (with a check-out) of the company's employees; a check-in
        at 23:30 in New York (the next day in UTC) counts for its local day, one at 07:30 in
        Tokyo (the day before in UTC) too; an open attendance is not counted."""
        Attendance = self.env["hr.attendance"]
        for company in self.companies:
            tz = self._tz(company)
            with self.subTest(company=company.name):
                rows = self._rows("vw_hr_attendance_daily", company)
                employees = self._employees(company)
                expected = Attendance.with_context(tz=tz)._read_group(
                    [("employee_id", "in", employees.ids), ("check_out", "!=", False)],
                    ["employee_id", "check_in:day"],
                    ["__count", "worked_hours:sum", "overtime_hours:sum"],
                )
                got = {(r["employee_id"], r["day"]): r for r in rows}
                self.assertEqual(set(got), {(e.id, as_date(d)) for e, d, _n, _w, _o in expected})
                status = self._status(company)
                for employee, day, count, worked, overtime in expected:
                    row = got[employee.id, as_date(day)]
                    self.assertEqual(row["attendances"], count)
                    self.assertAlmostEqual(row["worked_hours"], worked, delta=HOUR)
                    self.assertAlmostEqual(row["overtime_hours"], overtime, delta=HOUR)
                    self.assertEqual(
                        (row["employee_name"], row["department_id"], row["employee_status"]),
                        (employee.name, employee.department_id.id or None, status[employee.id]),
                    )
        a = {(r["employee_id"], r["day"]): r for r in self._rows("vw_hr_attendance_daily", self.company_a)}
        self.assertEqual(self.late_night.check_in.date(), date(2025, 3, 11))  # in UTC
        march_10 = a[self.a_one.id, date(2025, 3, 10)]
        self.assertEqual(march_10["attendances"], 2)
        self.assertAlmostEqual(
            march_10["worked_hours"], sum((self.a_one.attendance_ids).mapped("worked_hours")), delta=HOUR
        )
        self.assertNotIn((self.a_one.id, date(2025, 3, 11)), a)
        self.assertNotIn((self.a_two.id, date(2025, 3, 12)), a)  # the open attendance
        self.assertEqual(a[self.a_departed.id, date(2025, 2, 3)]["employee_status"], "departed")
        c = {(r["employee_id"], r["day"]): r for r in self._rows("vw_hr_attendance_daily", self.company_c)}
        self.assertEqual(self.early_morning.check_in.date(), date(2025, 3, 10))  # in UTC
        self.assertEqual(set(c), {(self.c_one.id, date(2025, 3, 11))})
        self.assertAlmostEqual(c[self.c_one.id, date(2025, 3, 11)]["worked_hours"], self.early_morning.worked_hours)

    # --- contracts ------------------------------------------------------------------
    def test_contract_wages_equal_hr_contract(self):
        """Per company, the rows are the contracts Odoo lists that are not cancelled
        (archived ones left out); the average wage of running contracts, per company and
        per department, equals read_group's average of hr.contract's wage; is_running is
        state 'open'; the EUR company's wages are in EUR, as its contracts hold them (no
        conversion)."""
        Contract = self.env["hr.contract"]
        for company in self.companies:
            with self.subTest(company=company.name):
                rows = {r["contract_id"]: r for r in self._rows("vw_hr_contract", company)}
                contracts = Contract.search([("company_id", "=", company.id), ("state", "!=", "cancel")])
                self.assertEqual(set(rows), set(contracts.ids))
                running = [r for r in rows.values() if r["is_running"]]
                ((average,),) = Contract._read_group(
                    [("company_id", "=", company.id), ("state", "=", "open")], [], ["wage:avg"]
                )
                self.assertAlmostEqual(float(sum(r["wage"] for r in running)) / len(running), average, delta=HOUR)
                per_department = Contract._read_group(
                    [("company_id", "=", company.id), ("state", "=", "open")], ["department_id"], ["wage:avg"]
                )
                got = defaultdict(list)
                for row in running:
                    got[row["department_id"]].append(float(row["wage"]))
                self.assertEqual(set(got), {d.id or None for d, _w in per_department})
                for department, wage in per_department:
                    values = got[department.id or None]
                    self.assertAlmostEqual(sum(values) / len(values), wage, delta=HOUR)
                status = self._status(company)
                for contract in contracts:
                    row = rows[contract.id]
                    self.assertEqual(row["is_running"], contract.state == "open")
                    self.assertEqual(
                        (row["state"], row["date_start"], row["date_end"], float(row["wage"])),
                        (contract.state, contract.date_start, contract.date_end or None, contract.wage),
                    )
                    self.assertEqual(row["employee_status"], status[contract.employee_id.id])
                    self.assertEqual(contract.currency_id, company.currency_id)
        a = {r["contract_id"]: r for r in self._rows("vw_hr_contract", self.company_a)}
        self.assertNotIn(self.k_a_one_archived.id, a)
        self.assertNotIn(self.k_a_leaving_cancelled.id, a)
        self.assertEqual(
            [a[k.id]["is_running"] for k in (self.k_a_one, self.k_a_two_expired, self.k_a_leaving_draft)],
            [True, False, False],
        )
        self.assertEqual(a[self.k_a_departed.id]["employee_status"], "departed")
        self.assertAlmostEqual(
            sum(float(r["wage"]) for r in a.values() if r["is_running"]) / 2, (3000.0 + 4000.0) / 2, delta=HOUR
        )
        b = self._rows("vw_hr_contract", self.company_b)
        self.assertEqual(self.company_b.currency_id, self.eur)
        self.assertEqual(sorted(float(r["wage"]) for r in b), [3500.0, 4500.0])  # EUR, as entered
        self.assertEqual({r["department_name"] for r in b}, {"Assistance RH"})
        self.assertEqual({r["job_name"] for r in b}, {"Agent RH"})

    # --- companies ------------------------------------------------------------------
    def test_rows_carry_their_company_and_stay_in_it(self):
        """No row of any HR view has a NULL company_id; a company's rows are of its own
        employees, leaves and contracts only (the ORM's company of each), so another
        company's rows never appear under its filter."""
        for view in HR_VIEWS:
            with self.subTest(view=view):
                self.assertFalse(view_rows(self.env, view, SQL("company_id IS NULL")))
        Employee = self.env["hr.employee"].with_context(active_test=False)
        for company in self.companies:
            others = Employee.search([("company_id", "!=", company.id)])
            with self.subTest(company=company.name):
                for view in HR_VIEWS:
                    employee_ids = {r["employee_id"] for r in self._rows(view, company)} - {None}
                    self.assertTrue(employee_ids, view)
                    self.assertEqual(set(Employee.browse(employee_ids).company_id.ids), {company.id}, view)
                    self.assertFalse(employee_ids & set(others.ids), view)
                leaves = self.env["hr.leave"].browse([r["leave_id"] for r in self._rows("vw_hr_leave", company)])
                self.assertEqual(set(leaves.employee_company_id.ids), {company.id})
                contracts = self.env["hr.contract"].browse(
                    [r["contract_id"] for r in self._rows("vw_hr_contract", company)]
                )
                self.assertEqual(set(contracts.company_id.ids), {company.id})
        a_rows = {view: {r["employee_id"] for r in self._rows(view, self.company_a)} for view in HR_VIEWS}
        for employee in (self.b_one, self.b_two, self.c_one):
            for view, ids in a_rows.items():
                self.assertNotIn(employee.id, ids, view)
