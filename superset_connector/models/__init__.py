# Mixins first: a model is built after the models it inherits from.
from . import superset_menu_mixin  # isort: skip
from . import (
    ir_actions_client,
    ir_module_module,
    ir_ui_menu,
    res_config_settings,
    superset_analytics_refresh,
    superset_analytics_role,
    superset_analytics_sql,
    superset_analytics_superset,
    superset_analytics_view,
    superset_connector,
    superset_dashboard,
    superset_dashboard_bundle,
    superset_dashboard_category,
    superset_dashboard_dataset,
    superset_dashboard_filter,
    superset_dashboard_starter,
    superset_dashboard_user_filter,
    superset_guest_token,
    superset_guest_token_log,
    superset_rls_rule,
)
