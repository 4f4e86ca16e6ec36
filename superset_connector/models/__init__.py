from . import (
    ir_module_module,
    ir_ui_menu,
    res_config_settings,
    superset_analytics_superset,
    superset_analytics_view,
    superset_connector,
    superset_dashboard,
    superset_dashboard_category,
    superset_dashboard_dataset,
    superset_dashboard_token,
    superset_guest_token_log,
    superset_rls_rule,
)
