-- Approved time off (hr.leave in state 'validate'), one row per leave.
--
-- company_id: the employee's company (hr.leave.employee_company_id, as Odoo's Time Off
-- analysis); the department is the leave's own (the employee's when it was requested,
-- as Odoo's Time Off analysis too); the employee's name and status are those of
-- vw_hr_employee. date_from, date_to: the first and last day of the leave in the
-- company's timezone, month the first day of date_from's month; number_of_days and
-- number_of_hours are the leave's durations (Odoo's, working days and hours of the
-- employee's schedule). Names in the company's language.
SELECT
    l.employee_company_id AS company_id,
    l.id AS leave_id,
    l.employee_id,
    e.employee_name,
    l.department_id,
    COALESCE(department.name ->> co.lang, department.name ->> 'en_US') AS department_name,
    e.employee_status,
    l.holiday_status_id AS leave_type_id,
    COALESCE(leave_type.name ->> co.lang, leave_type.name ->> 'en_US') AS leave_type_name,
    (l.date_from AT TIME ZONE 'UTC' AT TIME ZONE co.tz)::date AS date_from,
    (l.date_to AT TIME ZONE 'UTC' AT TIME ZONE co.tz)::date AS date_to,
    l.number_of_days,
    l.number_of_hours,
    date_trunc('month', l.date_from AT TIME ZONE 'UTC' AT TIME ZONE co.tz)::date AS month
    --@extra_columns
FROM hr_leave l
JOIN superset_analytics.vw_hr_employee e ON e.employee_id = l.employee_id
JOIN superset_analytics.vw_company_locale co ON co.company_id = l.employee_company_id
JOIN hr_leave_type leave_type ON leave_type.id = l.holiday_status_id
LEFT JOIN hr_department department ON department.id = l.department_id
WHERE l.state = 'validate'
