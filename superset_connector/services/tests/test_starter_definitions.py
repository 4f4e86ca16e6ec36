"""The starter dashboards' definitions (data/starter_dashboards/, read by
services/superset_content.py): well formed, reading only views the addon defines; a
broken file refused."""

import json
import re

import pytest

from devstack import settings

from .. import superset_content as content

DATA = settings.REPO / "superset_connector" / "data"


def test_shipped_starters_are_well_formed_and_read_known_views():
    """Every file loads (each chart placed once, rows within the grid), every view a
    starter reads is one of the addon's analytics views, and every dashboard has a period
    filter and a company filter that apply to all its charts with a time column, and to
    all its charts (the company filter on a dataset that is not optional)."""
    defined = {
        name
        for path in DATA.glob("superset_analytics_view*_data.xml")
        for name in re.findall(r'<field name="name">((?:vw|mv)_[a-z0-9_]+)</field>', path.read_text())
    }
    starters = content.load_starters()
    assert [s.title for s in starters] == [
        "Financial",
        "Human resources",
        "Inventory",
        "Manufacturing",
        "Procurement",
        "Sales & CRM",
    ]
    for starter in starters:
        assert starter.views and set(starter.views) <= defined, (starter.title, set(starter.views) - defined)
        assert "vw_company" in starter.views  # amounts are shown per company, with its currency
        for chart in starter.charts:
            params = chart["params"]
            metrics = params.get("metrics") or [params["metric"]]
            assert all(metric["expressionType"] == "SQL" for metric in metrics), (starter.title, chart["key"])
            if params["viz_type"] == "table":  # headers in words, not column names
                assert all(column["label"][0].isupper() for column in params["groupby"]), chart["key"]
        filters = {item["key"]: item for item in starter.filters}
        timed = {chart["key"] for chart in starter.charts if chart.get("time_column")}
        assert timed and set(filters["period"]["charts"]) == timed, starter.title
        assert filters["company"]["column"] == "company", starter.title
        # Whatever apps are missing, the company filter stays: it is on a required dataset.
        assert not starter.datasets[filters["company"]["dataset"]].get("optional"), starter.title
        assert set(filters["company"]["charts"]) == {chart["key"] for chart in starter.charts}, starter.title


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


@pytest.mark.parametrize(
    ("flt", "refusal"),
    [
        ({"key": "p", "name": "P", "type": "time", "charts": ["b"]}, r"charts \['b'\] have no time_column"),
        ({"key": "s", "name": "S", "type": "select", "column": "x"}, "needs its dataset and column"),
        (
            {"key": "s", "name": "S", "type": "select", "dataset": "vw_x", "column": "x", "charts": ["z"]},
            "unknown charts",
        ),
        ({"key": "s", "name": "S", "type": "range"}, "is not time or select"),
    ],
)
def test_a_broken_filter_is_refused(tmp_path, flt, refusal):
    charts = [
        {"key": "a", "name": "A", "dataset": "vw_x", "time_column": "day", "params": {"viz_type": "table"}},
        {"key": "b", "name": "B", "dataset": "vw_x", "params": {"viz_type": "table"}},
    ]
    spec = {"title": "Bad", "charts": charts, "filters": [flt], "rows": [["a", "b"]]}
    (tmp_path / "bad.json").write_text(json.dumps(spec))
    with pytest.raises(content.StarterDefinitionError, match=refusal):
        content.load_starters(tmp_path)


def test_filter_scope_defaults_and_superset_configuration(tmp_path):
    """Unlisted, a period filter applies to the charts with a time column and a select
    filter to every chart; in Superset's configuration the others are excluded, and a
    select filter targets its dataset's column."""
    charts = [
        {"key": "a", "name": "A", "dataset": "vw_x", "time_column": "day", "params": {"viz_type": "table"}},
        {"key": "b", "name": "B", "dataset": "vw_x", "params": {"viz_type": "table"}},
    ]
    filters = [
        {"key": "period", "name": "Period", "type": "time"},
        {"key": "who", "name": "Who", "type": "select", "dataset": "vw_y", "column": "name"},
    ]
    spec = {"title": "Good", "charts": charts, "filters": filters, "rows": [["a", "b"]]}
    (tmp_path / "good.json").write_text(json.dumps(spec))
    (starter,) = content.load_starters(tmp_path)
    assert starter.views == ["vw_x", "vw_y"]  # the filter's dataset is read too
    period, who = starter.filters
    assert period["charts"] == ("a",) and who["charts"] == ("a", "b")
    time_config = content.native_filter(period, {"a": 11, "b": 12}, {"vw_y": 5})
    assert (time_config["filterType"], time_config["chartsInScope"], time_config["scope"]["excluded"]) == (
        "filter_time",
        [11],
        [12],
    )
    select_config = content.native_filter(who, {"a": 11, "b": 12}, {"vw_y": 5})
    assert select_config["targets"] == [{"datasetId": 5, "column": {"name": "name"}}]
    assert select_config["scope"]["excluded"] == [] and select_config["id"] == "NATIVE_FILTER-who"
    chart_a = starter.charts[0]["params"]
    assert chart_a["granularity_sqla"] == "day" and chart_a["adhoc_filters"][-1]["operator"] == "TEMPORAL_RANGE"
    assert "granularity_sqla" not in starter.charts[1]["params"]


def test_optional_dataset_missing_leaves_its_charts_and_filters_out(tmp_path):
    """An optional dataset does not make the dashboard wait for its views: without them,
    its charts, the row they alone filled and the filter on it are left out, the other
    filters narrowed to the charts that remain; with them, nothing is left out."""
    datasets = {
        "starter_base": {"views": ["vw_x", "vw_company"], "sql": "SELECT 1"},
        "starter_extra": {"views": ["vw_extra", "vw_company"], "sql": "SELECT 2", "optional": True},
    }
    charts = [
        {"key": "a", "name": "A", "dataset": "starter_base", "time_column": "day", "params": {"viz_type": "table"}},
        {"key": "b", "name": "B", "dataset": "starter_extra", "time_column": "day", "params": {"viz_type": "table"}},
        {"key": "c", "name": "C", "dataset": "starter_extra", "params": {"viz_type": "table"}},
    ]
    filters = [
        {"key": "period", "name": "Period", "type": "time"},
        {"key": "company", "name": "Company", "type": "select", "dataset": "starter_base", "column": "company"},
        {"key": "kind", "name": "Kind", "type": "select", "dataset": "starter_extra", "column": "kind"},
    ]
    spec = {"title": "Partial", "datasets": datasets, "charts": charts, "filters": filters, "rows": [["a", "b"], ["c"]]}
    (tmp_path / "partial.json").write_text(json.dumps(spec))
    (starter,) = content.load_starters(tmp_path)
    assert starter.views == ["vw_company", "vw_x"]  # what it cannot be built without

    narrowed, missing = starter.without_missing(["vw_x", "vw_company"])
    assert missing == ["vw_extra"]
    assert [c["key"] for c in narrowed.charts] == ["a"] and narrowed.rows == (("a",),)
    assert {f["key"]: f["charts"] for f in narrowed.filters} == {"period": ("a",), "company": ("a",)}
    assert set(narrowed.datasets) == {"starter_base"}

    whole, missing = starter.without_missing(["vw_x", "vw_company", "vw_extra"])
    assert whole is starter and missing == []
