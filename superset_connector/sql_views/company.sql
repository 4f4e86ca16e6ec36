-- Companies as the analytics views see them: the currency every amount is expressed in,
-- the timezone every date is bucketed in and the language names are shown in (see
-- company_locale.sql). Active companies only.
SELECT
    c.id AS company_id,
    c.name AS company_name,
    c.parent_id AS parent_company_id,
    c.currency_id,
    cur.name AS currency,
    co.tz,
    co.lang
    --@extra_columns
FROM res_company c
JOIN superset_analytics.vw_company_locale co ON co.company_id = c.id
JOIN res_currency cur ON cur.id = c.currency_id
WHERE c.active
