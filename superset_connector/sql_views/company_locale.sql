-- Every company, archived ones too (their orders and moves stay in the views), with the
-- timezone the analytics views bucket its dates in (the company partner's, else UTC)
-- and the language they show its names in (the company partner's, else en_US): the
-- views join it rather than res_company and res_partner, so the rule stands once.
SELECT
    c.id AS company_id,
    COALESCE(NULLIF(cp.tz, ''), 'UTC') AS tz,
    COALESCE(NULLIF(cp.lang, ''), 'en_US') AS lang
    --@extra_columns
FROM res_company c
JOIN res_partner cp ON cp.id = c.partner_id
