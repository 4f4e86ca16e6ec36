from . import superset_dashboard
