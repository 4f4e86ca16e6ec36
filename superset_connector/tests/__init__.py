from . import (
    test_analytics_figures,
    test_analytics_lifecycle,
    test_analytics_operations,
    test_analytics_refresh,
    test_analytics_role,
    test_analytics_sql,
    test_menus_http,
    test_security,
)
