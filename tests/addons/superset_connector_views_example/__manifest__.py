{
    "name": "Superset Connector: Views Example",
    "summary": "Test addon: an analytics view of its own, and a column added to the shipped sales views",
    "version": "18.0.1.0.0",
    "category": "Hidden",
    "website": "https://github.com/superset-connector/superset_connector",
    "author": "superset_connector developers",
    "license": "LGPL-3",
    "depends": ["superset_connector", "sale"],
    "data": ["data/superset_analytics_view_data.xml"],
    "installable": True,
}
