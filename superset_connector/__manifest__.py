{
    "name": "Superset Connector",
    "summary": "Apache Superset dashboards embedded in Odoo, filtered to the active companies",
    "version": "18.0.1.1.0",
    "category": "Productivity",
    "website": "https://github.com/superset-connector/superset_connector",
    "author": "superset_connector developers",
    "license": "LGPL-3",
    "depends": ["base_setup", "web"],
    "external_dependencies": {"python": ["PyJWT", "PyYAML", "requests", "sqlglot"]},
    "data": [
        "security/superset_security.xml",
        "security/ir.model.access.csv",
        "security/superset_rules.xml",
        "data/ir_cron_data.xml",
        "data/superset_analytics_view_data.xml",
        "views/superset_dashboard_views.xml",
        "views/superset_dashboard_bundle_views.xml",
        "views/superset_guest_token_log_views.xml",
        "views/superset_analytics_view_views.xml",
        "views/res_config_settings_views.xml",
        "views/menus.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "superset_connector/static/src/dashboard_action/*",
        ],
        "web.assets_unit_tests": [
            "superset_connector/static/tests/**/*.test.js",
        ],
    },
    "uninstall_hook": "uninstall_hook",
    "application": True,
}
