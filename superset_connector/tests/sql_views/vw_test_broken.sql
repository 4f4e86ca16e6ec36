-- Deliberately broken fixture of the analytics tests: the column does not exist.
SELECT c.id AS company_id, c.no_such_column AS value
FROM res_company c
