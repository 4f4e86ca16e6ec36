"""The starter dashboards' definitions (data/starter_dashboards/, read by
services/superset_content.py): well formed, reading only views the addon defines; a
broken file refused."""

import json
import re

import pytest

from devstack import settings

from .. import superset_content as content

ANALYTICS_VIEW_DATA = settings.REPO / "superset_connector" / "data" / "superset_analytics_view_data.xml"


def test_shipped_starters_are_well_formed_and_read_known_views():
    """Every file loads (each chart placed once, rows within the grid), and every view a
    starter reads is one of the addon's analytics views."""
    defined = set(re.findall(r'<field name="name">((?:vw|mv)_[a-z0-9_]+)</field>', ANALYTICS_VIEW_DATA.read_text()))
    starters = content.load_starters()
    assert [s.title for s in starters] == ["Inventory", "Invoicing", "Purchase", "Sales"]
    for starter in starters:
        assert starter.views and set(starter.views) <= defined, (starter.title, set(starter.views) - defined)
        assert "vw_company" in starter.views  # amounts are shown per company, with its currency
        for chart in starter.charts:
            params = chart["params"]
            metrics = params.get("metrics") or [params["metric"]]
            assert all(metric["expressionType"] == "SQL" for metric in metrics), (starter.title, chart["key"])
            if params["viz_type"] == "table":  # headers in words, not column names
                assert all(column["label"][0].isupper() for column in params["groupby"]), chart["key"]


def test_a_broken_starter_file_is_refused(tmp_path):
    (tmp_path / "bad.json").write_text(
        json.dumps(
            {
                "title": "Bad",
                "charts": [{"key": "a", "name": "A", "dataset": "vw_x", "width": 8, "params": {"viz_type": "table"}}],
                "rows": [["a", "a"]],
            }
        )
    )
    with pytest.raises(content.StarterDefinitionError, match=r"each chart once.*wider than 12"):
        content.load_starters(tmp_path)
