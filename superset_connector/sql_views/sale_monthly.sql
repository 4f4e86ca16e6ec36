-- Monthly sales KPIs per company, in the company's currency and timezone: the months of
-- vw_sale_period (sale_period.sql holds the definitions, those of Odoo's sale.report).
-- customers counts each commercial partner once per month, so it is not the sum of the
-- daily figures.
SELECT company_id, period AS month, orders, confirmed_orders, untaxed_revenue, average_order, confirmed_quantity,
    customers, quotations_untaxed
--@extra_columns
FROM superset_analytics.vw_sale_period
WHERE grain = 'month'
