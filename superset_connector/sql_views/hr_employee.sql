-- Employees, one row per employee of every company, archived ones too.
--
-- start_date: the first start of a contract not cancelled when hr_contract is installed,
-- else the day the employee record was created; departure_date: the employee's departure
-- date, or for an archived employee without one the day of archiving (as
-- vw_hr_headcount_monthly). employee_status: 'active' while still employed today (no
-- departure date, or one after today), else 'departed' (an archived employee without
-- departure date too). employees is 1, for charts to sum. The department and job are
-- the current ones, their names in the company's language; days in its timezone.
SELECT
    e.company_id,
    e.id AS employee_id,
    e.name AS employee_name,
    e.department_id,
    COALESCE(department.name ->> co.lang, department.name ->> 'en_US') AS department_name,
    e.job_id,
    COALESCE(job.name ->> co.lang, job.name ->> 'en_US') AS job_name,
    employed.start_date,
    employed.departure_date,
    CASE
        WHEN employed.departure_date IS NULL OR employed.departure_date > (now() AT TIME ZONE co.tz)::date
            THEN 'active'
        ELSE 'departed'
    END AS employee_status,
    1 AS employees
    --@extra_columns
FROM hr_employee e
JOIN superset_analytics.vw_company_locale co ON co.company_id = e.company_id
CROSS JOIN LATERAL (
    SELECT
--@if hr_contract
        COALESCE(
            (SELECT min(k.date_start) FROM hr_contract k WHERE k.employee_id = e.id AND k.state <> 'cancel'),
            (e.create_date AT TIME ZONE 'UTC' AT TIME ZONE co.tz)::date
        ) AS start_date,
--@else
        (e.create_date AT TIME ZONE 'UTC' AT TIME ZONE co.tz)::date AS start_date,
--@endif
        CASE
            WHEN e.departure_date IS NOT NULL THEN e.departure_date
            WHEN NOT e.active THEN (e.write_date AT TIME ZONE 'UTC' AT TIME ZONE co.tz)::date
        END AS departure_date
) employed
LEFT JOIN hr_department department ON department.id = e.department_id
LEFT JOIN hr_job job ON job.id = e.job_id
