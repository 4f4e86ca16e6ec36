-- Daily sales KPIs per company, in the company's currency and timezone: the days of
-- vw_sale_period (sale_period.sql holds the definitions, those of Odoo's sale.report).
SELECT company_id, period AS date, orders, confirmed_orders, untaxed_revenue, average_order, confirmed_quantity,
    customers, quotations_untaxed
--@extra_columns
FROM superset_analytics.vw_sale_period
WHERE grain = 'day'
