-- Headcount per company, department and job for every month, with history.
--
-- An employee is employed from their start date - the first contract's start when
-- hr_contract is installed, else the day the employee record was created - to their
-- departure date (an archived employee without one: the day of archiving). headcount
-- counts those employed at the end of the month (today for the current month), hires
-- and departures those who started or left during the month. The department and job are
-- the ones held on that day, rebuilt from the tracked changes of hr.employee (mail
-- tracking values, department_id and job_id are tracked); without a tracked change, the
-- current ones. Dates are in the company's timezone, names in its language.
WITH employee AS (
    SELECT
        e.id AS employee_id,
        e.company_id,
        e.department_id,
        e.job_id,
        co.tz,
        (now() AT TIME ZONE co.tz)::date AS today,
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
        END AS end_date
    FROM hr_employee e
    JOIN superset_analytics.vw_company_locale co ON co.company_id = e.company_id
),
month AS (
    SELECT
        co.company_id,
        series.month::date AS month,
        LEAST((series.month + interval '1 month' - interval '1 day')::date, co.today) AS as_of
    FROM (
        SELECT company_id, min(start_date) AS first_start, max(today) AS today FROM employee GROUP BY company_id
    ) co
    CROSS JOIN LATERAL generate_series(
        date_trunc('month', co.first_start), date_trunc('month', co.today), interval '1 month'
    ) AS series (month)
),
change AS (
    SELECT
        msg.res_id AS employee_id,
        f.name AS field,
        v.id AS tracking_id,
        (msg.date AT TIME ZONE 'UTC' AT TIME ZONE employee.tz)::date AS changed_on,
        v.old_value_integer,
        v.new_value_integer
    FROM mail_tracking_value v
    JOIN mail_message msg ON msg.id = v.mail_message_id
    JOIN ir_model_fields f ON f.id = v.field_id
    JOIN employee ON employee.employee_id = msg.res_id
    WHERE msg.model = 'hr.employee'
      AND f.model = 'hr.employee'
      AND f.name IN ('department_id', 'job_id')
),
ordered AS (
    SELECT
        change.*,
        row_number() OVER (PARTITION BY employee_id, field ORDER BY changed_on, tracking_id) AS n,
        lead(changed_on) OVER (PARTITION BY employee_id, field ORDER BY changed_on, tracking_id) AS next_on
    FROM change
),
-- [valid_from, valid_to) periods of each tracked value; before the first change, its old value
period AS (
    SELECT employee_id, field, old_value_integer AS value, NULL::date AS valid_from, changed_on AS valid_to
    FROM ordered
    WHERE n = 1
    UNION ALL
    SELECT employee_id, field, new_value_integer, changed_on, next_on
    FROM ordered
),
staff AS (
    SELECT
        month.company_id,
        month.month,
        month.as_of,
        employee.start_date,
        employee.end_date,
        CASE WHEN dep.employee_id IS NULL THEN employee.department_id ELSE NULLIF(dep.value, 0) END AS department_id,
        CASE WHEN job.employee_id IS NULL THEN employee.job_id ELSE NULLIF(job.value, 0) END AS job_id
    FROM month
    JOIN employee
        ON employee.company_id = month.company_id
       AND employee.start_date <= month.as_of
       AND (employee.end_date IS NULL OR employee.end_date >= month.month)
    LEFT JOIN period dep
        ON dep.employee_id = employee.employee_id
       AND dep.field = 'department_id'
       AND (dep.valid_from IS NULL OR LEAST(month.as_of, employee.end_date) >= dep.valid_from)
       AND (dep.valid_to IS NULL OR LEAST(month.as_of, employee.end_date) < dep.valid_to)
    LEFT JOIN period job
        ON job.employee_id = employee.employee_id
       AND job.field = 'job_id'
       AND (job.valid_from IS NULL OR LEAST(month.as_of, employee.end_date) >= job.valid_from)
       AND (job.valid_to IS NULL OR LEAST(month.as_of, employee.end_date) < job.valid_to)
)
SELECT
    staff.company_id,
    staff.month,
    staff.department_id,
    COALESCE(department.name ->> co.lang, department.name ->> 'en_US') AS department_name,
    staff.job_id,
    COALESCE(job.name ->> co.lang, job.name ->> 'en_US') AS job_name,
    count(*) FILTER (WHERE staff.end_date IS NULL OR staff.end_date >= staff.as_of) AS headcount,
    count(*) FILTER (WHERE staff.start_date >= staff.month) AS hires,
    count(*) FILTER (WHERE staff.end_date <= staff.as_of) AS departures
    --@extra_columns
FROM staff
JOIN superset_analytics.vw_company_locale co ON co.company_id = staff.company_id
LEFT JOIN hr_department department ON department.id = staff.department_id
LEFT JOIN hr_job job ON job.id = staff.job_id
GROUP BY staff.company_id, staff.month, staff.department_id, department.name, staff.job_id, job.name, co.lang
--@extra_group_by
