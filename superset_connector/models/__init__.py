from . import ir_module_module, superset_analytics_view, superset_dashboard
