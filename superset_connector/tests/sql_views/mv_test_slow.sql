-- Fixture of the analytics tests: a materialized view whose query takes half a second.
SELECT c.id AS company_id, c.name AS company_name
FROM res_company c, pg_sleep(0.5)
