-- Companies as the analytics views see them: the currency every amount is expressed in,
-- the timezone every date is bucketed in (the company partner's, else UTC) and the
-- language names are shown in (the company partner's, else en_US).
SELECT
    c.id AS company_id,
    c.name AS company_name,
    c.parent_id AS parent_company_id,
    c.currency_id,
    cur.name AS currency,
    COALESCE(NULLIF(cp.tz, ''), 'UTC') AS tz,
    COALESCE(NULLIF(cp.lang, ''), 'en_US') AS lang
FROM res_company c
JOIN res_partner cp ON cp.id = c.partner_id
JOIN res_currency cur ON cur.id = c.currency_id
WHERE c.active
