-- Attendances per company, day and employee: the closed ones (with a check-out), on the
-- day of their check-in in the company's timezone.
--
-- The company is the employee's (hr.attendance has none of its own), the department,
-- name and status the employee's (vw_hr_employee). attendances counts them,
-- worked_hours and overtime_hours sum their stored worked_hours and overtime_hours
-- (the lunch breaks of the schedule left out, as Odoo computes them).
SELECT
    e.company_id,
    (a.check_in AT TIME ZONE 'UTC' AT TIME ZONE co.tz)::date AS day,
    a.employee_id,
    e.employee_name,
    e.department_id,
    e.department_name,
    e.employee_status,
    count(*) AS attendances,
    COALESCE(sum(a.worked_hours), 0) AS worked_hours,
    COALESCE(sum(a.overtime_hours), 0) AS overtime_hours
    --@extra_columns
FROM hr_attendance a
JOIN superset_analytics.vw_hr_employee e ON e.employee_id = a.employee_id
JOIN superset_analytics.vw_company_locale co ON co.company_id = e.company_id
WHERE a.check_out IS NOT NULL
GROUP BY
    e.company_id,
    (a.check_in AT TIME ZONE 'UTC' AT TIME ZONE co.tz)::date,
    a.employee_id,
    e.employee_name,
    e.department_id,
    e.department_name,
    e.employee_status
--@extra_group_by
