-- Employment contracts, one row per contract not cancelled (archived contracts left
-- out, as Odoo's lists and reports leave them).
--
-- The company is the contract's, wage its monthly gross wage in the company's currency
-- (a contract's currency is its company's: no conversion). The department and job are
-- the contract's own, names in the company's language; the employee's name and status
-- those of vw_hr_employee (none for a contract without employee). state is the
-- contract's (draft, open, close); is_running (a boolean, for filters) is true for a
-- running one ('open').
SELECT
    k.company_id,
    k.id AS contract_id,
    k.name AS contract_name,
    k.employee_id,
    e.employee_name,
    k.department_id,
    COALESCE(department.name ->> co.lang, department.name ->> 'en_US') AS department_name,
    k.job_id,
    COALESCE(job.name ->> co.lang, job.name ->> 'en_US') AS job_name,
    e.employee_status,
    k.state,
    k.state = 'open' AS is_running,
    k.date_start,
    k.date_end,
    k.wage
    --@extra_columns
FROM hr_contract k
JOIN superset_analytics.vw_company_locale co ON co.company_id = k.company_id
LEFT JOIN superset_analytics.vw_hr_employee e ON e.employee_id = k.employee_id
LEFT JOIN hr_department department ON department.id = k.department_id
LEFT JOIN hr_job job ON job.id = k.job_id
WHERE k.state <> 'cancel' AND k.active
