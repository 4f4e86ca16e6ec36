from . import (
    ir_ui_menu,
    res_config_settings,
    superset_connector,
    superset_dashboard,
    superset_dashboard_category,
)
