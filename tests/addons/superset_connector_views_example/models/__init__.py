from . import superset_analytics_view
