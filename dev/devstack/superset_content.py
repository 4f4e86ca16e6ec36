"""Superset content (charts, dashboards) through Superset's REST API, for the demo and
the tests. client: any object with post_json, get_json and request (the addon's
SupersetClient). Standard library only, like the rest of devstack."""

import json


def chart(client, name, dataset_id, params):
    """A chart on a dataset; params: the chart's form data (viz_type included). Returns its id."""
    params = {"datasource": f"{dataset_id}__table", **params}
    body = {
        "slice_name": name,
        "viz_type": params["viz_type"],
        "datasource_id": dataset_id,
        "datasource_type": "table",
        "params": json.dumps(params),
    }
    return client.post_json("/api/v1/chart/", body)["id"]


def position(title, charts):
    """A dashboard layout: one row holding the charts, side by side."""
    layout = {
        "DASHBOARD_VERSION_KEY": "v2",
        "ROOT_ID": {"type": "ROOT", "id": "ROOT_ID", "children": ["GRID_ID"]},
        "GRID_ID": {"type": "GRID", "id": "GRID_ID", "children": ["ROW-1"], "parents": ["ROOT_ID"]},
        "HEADER_ID": {"id": "HEADER_ID", "type": "HEADER", "meta": {"text": title}},
        "ROW-1": {
            "type": "ROW",
            "id": "ROW-1",
            "children": [f"CHART-{chart_id}" for chart_id, _name in charts],
            "parents": ["ROOT_ID", "GRID_ID"],
            "meta": {"background": "BACKGROUND_TRANSPARENT"},
        },
    }
    for chart_id, name in charts:
        layout[f"CHART-{chart_id}"] = {
            "type": "CHART",
            "id": f"CHART-{chart_id}",
            "children": [],
            "parents": ["ROOT_ID", "GRID_ID", "ROW-1"],
            "meta": {"chartId": chart_id, "width": 4, "height": 50, "sliceName": name},
        }
    return layout


def dashboard(client, title, charts, native_filters=()):
    """A dashboard holding these charts [(id, name)], side by side. Returns its id."""
    dashboard_id = client.post_json("/api/v1/dashboard/", {"dashboard_title": title})["id"]
    for chart_id, _name in charts:
        # The chart's dashboards are replaced, not added to: keep the ones it is on already.
        on = [d["id"] for d in client.get_json(f"/api/v1/chart/{chart_id}")["result"].get("dashboards", [])]
        client.request("PUT", f"/api/v1/chart/{chart_id}", json={"dashboards": [*on, dashboard_id]})
    metadata = {"native_filter_configuration": list(native_filters), "color_scheme": "supersetColors"}
    client.request(
        "PUT",
        f"/api/v1/dashboard/{dashboard_id}",
        json={"position_json": json.dumps(position(title, charts)), "json_metadata": json.dumps(metadata)},
    )
    return dashboard_id
