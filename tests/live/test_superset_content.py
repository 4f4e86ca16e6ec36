"""Starter dashboards built in the real Superset (services/superset_content.py): once, found
again by slug, skipped when a view is not connected, removed again when they fail half-way."""

import json
import uuid

from odoo.addons.superset_connector.services import dashboard_bundle as bundles
from odoo.addons.superset_connector.services import superset_content as content
from odoo.addons.superset_connector.services.superset_client import SupersetClient

from devstack import settings


def _client(superset):
    user, password = settings.superset_admin()
    return SupersetClient(superset.url, user, password, retries=0)


def _starter_dir(tmp_path, key, second_dataset="vw_test_sales"):
    """A starter of two charts: one on a view's dataset, one on its own SQL dataset
    (or on second_dataset)."""
    spec = {
        "title": f"Starter test {key}",
        "datasets": {
            f"starter_test_{key}": {"views": ["vw_test_sales"], "sql": "SELECT company_id, amount FROM sales"},
        },
        "charts": [
            {
                "key": "total",
                "name": f"Total {key}",
                "dataset": "vw_test_sales",
                "width": 4,
                "params": {"viz_type": "big_number_total", "metric": {"sql": "SUM(amount)", "label": "Total"}},
            },
            {
                "key": "by_company",
                "name": f"By company {key}",
                "dataset": second_dataset if second_dataset != "vw_test_sales" else f"starter_test_{key}",
                "width": 8,
                "params": {
                    "viz_type": "table",
                    "query_mode": "aggregate",
                    "groupby": ["company_id"],
                    "metrics": [{"sql": "SUM(amount)", "label": "Total"}],
                    "row_limit": 10,
                },
            },
        ],
        "rows": [["total", "by_company"]],
    }
    folder = tmp_path / key
    folder.mkdir()
    (folder / f"{key}.json").write_text(json.dumps(spec))
    return content.load_starters(folder)


def _charts_named(client, name):
    found, _count = client.list_all(
        "chart", {"filters": [{"col": "slice_name", "opr": "eq", "value": name}], "columns": ["id", "slice_name"]}
    )
    return [item["id"] for item in found if item["slice_name"] == name]


def test_starter_is_built_once_and_found_again_by_slug(superset, rls_content, tmp_path):
    client = _client(superset)
    key = f"k{uuid.uuid4().hex[:8]}"
    starters = _starter_dir(tmp_path, key)
    database = f"sc starter {key}"
    kwargs = {
        "database_id": rls_content["database_id"],
        "schema": "public",
        "datasets": {"vw_test_sales": rls_content["datasets"]["sales"]},
        "database": database,
    }
    first = content.build_starters(client, starters, **kwargs)
    title = f"Starter test {key}"
    assert list(first.created) == [title] and not (first.existing or first.skipped or first.failed), first
    dashboard = client.dashboard(first.created[title])
    assert dashboard["slug"] == content.starter_slug(database, key) == f"odoo-sc-starter-{key}-{key}"
    assert dashboard["published"] is True
    charts = client.get_json(f"/api/v1/dashboard/{first.created[title]}/charts")["result"]
    assert sorted(chart["slice_name"] for chart in charts) == sorted([f"Total {key}", f"By company {key}"])
    layout = json.loads(dashboard["position_json"])
    assert [layout[cell]["meta"]["width"] for cell in layout["ROW-1"]["children"]] == [4, 8]
    datasets = {d["table_name"] for d in client.dashboard_datasets(first.created[title])}
    assert datasets == {"sales", f"starter_test_{key}"}
    # Each cell names its chart's uuid, as Superset's editor saves it, so Superset's export
    # places each chart once (it adds again, in a row of their own, the charts it cannot
    # find by uuid) and its import maps the cells to the imported charts.
    (exported,) = bundles.read(client.export("dashboard", [first.created[title]])).of("dashboards").values()
    cells = [node["meta"] for node in exported["position"].values() if isinstance(node, dict) and "meta" in node]
    cells = [meta for meta in cells if "chartId" in meta]
    assert sorted((meta["chartId"], meta.get("uuid", "")) for meta in cells) == sorted(
        (chart["id"], client.get_json(f"/api/v1/chart/{chart['id']}")["result"]["uuid"]) for chart in charts
    )

    # Renamed in Superset: still found by its slug, left as it is, nothing made twice.
    client.request("PUT", f"/api/v1/dashboard/{first.created[title]}", json={"dashboard_title": "Renamed"})
    second = content.build_starters(client, starters, **kwargs)
    assert second.existing == {title: first.created[title]} and not second.created, second
    assert len(_charts_named(client, f"Total {key}")) == 1
    assert client.dashboard(first.created[title])["dashboard_title"] == "Renamed"
    assert "Already in Superset, left as they are: " + title in content.describe(second)


def test_starter_whose_views_are_not_connected_is_skipped(superset, rls_content, tmp_path):
    client = _client(superset)
    key = f"k{uuid.uuid4().hex[:8]}"
    report = content.build_starters(
        client,
        _starter_dir(tmp_path, key),
        database_id=rls_content["database_id"],
        schema="public",
        datasets={"vw_other": rls_content["datasets"]["sales"]},
        database="sc starter skipped",
    )
    assert report.skipped == {f"Starter test {key}": ["vw_test_sales"]} and not report.created, report
    assert client.find("dashboard", "slug", content.starter_slug("sc starter skipped", key)) is None
    assert "needs vw_test_sales: install its app, then click Connect Superset." in content.describe(report)


def test_starter_failing_half_way_leaves_nothing_behind(superset, rls_content, tmp_path):
    """The second chart's dataset does not exist in Superset: the first chart, made
    already, is removed again, no dashboard is left, and the failure says why."""
    client = _client(superset)
    key = f"k{uuid.uuid4().hex[:8]}"
    report = content.build_starters(
        client,
        _starter_dir(tmp_path, key, second_dataset="vw_gone"),
        database_id=rls_content["database_id"],
        schema="public",
        datasets={"vw_test_sales": rls_content["datasets"]["sales"], "vw_gone": 987654},
        database="sc starter failed",
    )
    title = f"Starter test {key}"
    assert list(report.failed) == [title] and not report.created, report
    assert "Superset" in report.failed[title]
    assert _charts_named(client, f"Total {key}") == []
    assert client.find("dashboard", "slug", content.starter_slug("sc starter failed", key)) is None
