"""Starter dashboards built in the real Superset (services/superset_content.py): once, found
again by slug, skipped when a view is not connected, removed again when they fail half-way;
their native filters, whose values a guest sees only for the token's companies."""

import json
import uuid

import requests
import superset_fixtures

from odoo.addons.superset_connector.services import dashboard_bundle as bundles
from odoo.addons.superset_connector.services import superset_content as content
from odoo.addons.superset_connector.services.guest_token import sign_guest_token
from odoo.addons.superset_connector.services.rls import company_rule
from odoo.addons.superset_connector.services.superset_client import SupersetClient

from devstack import settings
from devstack import superset as superset_stack


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


def test_starter_without_an_optional_app_is_built_without_its_charts(superset, rls_content, tmp_path):
    """A starter whose optional dataset reads a view that is not connected (an app not
    installed) is built all the same, without that dataset's chart and the filter on
    it; the company filter stays, now applying to the chart left, and the report says
    what was left out."""
    client = _client(superset)
    key = f"k{uuid.uuid4().hex[:8]}"
    _starter_dir(tmp_path, key)  # writes the file this test changes
    folder = tmp_path / key
    spec = json.loads((folder / f"{key}.json").read_text())
    spec["datasets"][f"starter_test_{key}"]["views"] = ["vw_test_sales", "vw_not_installed"]
    spec["datasets"][f"starter_test_{key}"]["optional"] = True
    spec["filters"] = [
        {"key": "company", "name": "Company", "type": "select", "dataset": "vw_test_sales", "column": "company_id"},
        {
            "key": "only_optional",
            "name": "Amount",
            "type": "select",
            "dataset": f"starter_test_{key}",
            "column": "amount",
        },
    ]
    (folder / f"{key}.json").write_text(json.dumps(spec))
    report = content.build_starters(
        client,
        content.load_starters(folder),
        database_id=rls_content["database_id"],
        schema="public",
        datasets={"vw_test_sales": rls_content["datasets"]["sales"]},
        database="sc starter partial",
    )
    title = f"Starter test {key}"
    assert list(report.created) == [title] and report.partial == {title: ["vw_not_installed"]}, report
    charts = client.get_json(f"/api/v1/dashboard/{report.created[title]}/charts")["result"]
    assert [chart["slice_name"] for chart in charts] == [f"Total {key}"]
    metadata = json.loads(client.dashboard(report.created[title])["json_metadata"])
    (company,) = metadata["native_filter_configuration"]
    assert company["name"] == "Company" and company["chartsInScope"] == [charts[0]["id"]]
    assert not _charts_named(client, f"By company {key}")
    assert "was built without the charts that need vw_not_installed" in content.describe(report)


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


def _filtered_starter_dir(tmp_path, key):
    """A starter with a period filter and a select filter, on a SQL dataset of sales with
    a day and a region (every region belongs to one company)."""
    dataset = f"starter_test_days_{key}"
    spec = {
        "title": f"Filtered starter {key}",
        "datasets": {
            dataset: {
                "views": ["vw_test_sales"],
                "sql": "SELECT s.company_id, s.amount, r.name AS region, DATE '2024-01-01' + s.company_id AS day "
                "FROM sales s JOIN regions r USING (company_id)",
            }
        },
        "charts": [
            {
                "key": "total",
                "name": f"Total {key}",
                "dataset": dataset,
                "time_column": "day",
                "params": {"viz_type": "big_number_total", "metric": {"sql": "SUM(amount)", "label": "Total"}},
            },
            {
                "key": "by_region",
                "name": f"By region {key}",
                "dataset": dataset,
                "params": {
                    "viz_type": "table",
                    "query_mode": "aggregate",
                    "groupby": ["region"],
                    "metrics": [{"sql": "SUM(amount)", "label": "Total"}],
                    "row_limit": 1000,
                },
            },
        ],
        "filters": [
            {"key": "period", "name": "Period", "type": "time"},
            {"key": "region", "name": "Region", "type": "select", "dataset": dataset, "column": "region"},
        ],
        "rows": [["total", "by_region"]],
    }
    folder = tmp_path / key
    folder.mkdir()
    (folder / f"{key}.json").write_text(json.dumps(spec))
    return content.load_starters(folder), dataset


def _guest(superset, client, dashboard_id, companies):
    embedded = client.ensure_embedded(dashboard_id, ["http://127.0.0.1"])
    return sign_guest_token(
        superset.guest_token_secret,
        superset_stack.GUEST_AUDIENCE,
        {"username": f"filters-{uuid.uuid4().hex[:6]}"},
        [{"type": "dashboard", "id": embedded}],
        [company_rule(companies)],
        300,
    )[0]


def _filter_values(superset, token, dashboard_id, dataset_id, column, filter_id):
    return superset_fixtures.filter_values(superset.url, token, dashboard_id, dataset_id, column, filter_id, 30)


def test_starter_filters_target_their_charts_and_list_only_the_guests_companies(superset, rls_content, tmp_path):
    """The period filter applies to the charts with a time column, the select filter to
    every chart; as a guest of companies 1 and 2 the select filter lists Region 1 and
    Region 2 only (the company rule covers filter values), and the filter, once set as
    the embedded page sets it, narrows the chart. Attacker's tests: the filter's id on
    another dataset (the regions table of all 100 companies), or an id the dashboard does
    not have, is refused."""
    client = _client(superset)
    key = f"k{uuid.uuid4().hex[:8]}"
    starters, dataset = _filtered_starter_dir(tmp_path, key)
    report = content.build_starters(
        client,
        starters,
        database_id=rls_content["database_id"],
        schema="public",
        datasets={"vw_test_sales": rls_content["datasets"]["sales"]},
        database=f"sc filters {key}",
    )
    dashboard_id = report.created[f"Filtered starter {key}"]
    charts = {c["slice_name"]: c["id"] for c in client.get_json(f"/api/v1/dashboard/{dashboard_id}/charts")["result"]}
    total, by_region = charts[f"Total {key}"], charts[f"By region {key}"]
    dataset_id = next(d["id"] for d in client.dashboard_datasets(dashboard_id) if d["table_name"] == dataset)
    metadata = json.loads(client.dashboard(dashboard_id)["json_metadata"])
    filters = {f["id"]: f for f in metadata["native_filter_configuration"]}
    period, region = filters["NATIVE_FILTER-period"], filters["NATIVE_FILTER-region"]
    assert (period["filterType"], period["chartsInScope"], period["scope"]["excluded"]) == (
        "filter_time",
        [total],
        [by_region],
    )
    assert region["filterType"] == "filter_select" and sorted(region["chartsInScope"]) == sorted([total, by_region])
    assert region["targets"] == [{"datasetId": dataset_id, "column": {"name": "region"}}]
    params = json.loads(client.get_json(f"/api/v1/chart/{total}")["result"]["params"])
    assert params["granularity_sqla"] == "day"
    assert {"subject": "day", "operator": "TEMPORAL_RANGE"}.items() <= params["adhoc_filters"][-1].items()

    token = _guest(superset, client, dashboard_id, [1, 2])
    assert _filter_values(superset, token, dashboard_id, dataset_id, "region", region["id"]) == (
        200,
        ["Region 1", "Region 2"],
    )

    # The filters set as the embedded page sends them: each chart's query carries them.
    def filtered(chart_id, columns, flt):
        metrics = [{"expressionType": "SQL", "sqlExpression": "SUM(amount)", "label": "Total"}]
        body = superset_fixtures.chart_data_body(dashboard_id, chart_id, dataset_id, columns, metrics)
        body["queries"][0]["filters"] = [flt]
        response = requests.post(
            f"{superset.url}/api/v1/chart/data",
            json=body,
            headers={"X-GuestToken": token, "Accept": "application/json"},
            timeout=30,
        )
        assert response.status_code == 200, response.text[:300]
        return response.json()["result"][0]["data"]

    rows = filtered(by_region, ["region"], {"col": "region", "op": "IN", "val": ["Region 2"]})
    assert [(row["region"], row["Total"]) for row in rows] == [("Region 2", superset_fixtures.company_total(2))]
    rows = filtered(total, [], {"col": "day", "op": "TEMPORAL_RANGE", "val": "2024-01-02 : 2024-01-03"})
    assert rows == [{"Total": superset_fixtures.company_total(1)}]  # company 1's day only

    regions = rls_content["datasets"]["regions"]
    assert _filter_values(superset, token, dashboard_id, regions, "name", region["id"])[0] in (403, 422)
    assert _filter_values(superset, token, dashboard_id, dataset_id, "region", "NATIVE_FILTER-none")[0] in (403, 422)
