"""Real Superset content for the tests, built through Superset's REST API.

A PostgreSQL database with five tables:
  sales(company_id, amount)   rows for companies 1..100: company c has 10c and 10c + 1,
                              so its total is 20c + 1 and any set of companies is visible
  orders(company_id, amount)  the same rows, read by a chart no dashboard holds at first
  catalog(label)              no company_id column: the company rule makes its queries fail
  shared(company_id, label)   no company data: two rows every company shares (company_id 0),
                              and one row of each company 1..100
  regions(company_id, name)   read only by a native filter
and in Superset: the database connection, a dataset per table, five charts and three
dashboards, "RLS sales" (sales charts + a native filter on regions), "RLS mixed" (sales
total + the catalog table) and "RLS shared" (the shared labels only).
"""

import time

import requests

from odoo.addons.superset_connector.services.superset_content import Cell
from odoo.addons.superset_connector.services.superset_content import chart as _chart
from odoo.addons.superset_connector.services.superset_content import dashboard as _dashboard

from devstack import postgres


def company_total(company_id):
    return 20 * company_id + 1


SUM_AMOUNT = {
    "expressionType": "SIMPLE",
    "column": {"column_name": "amount"},
    "aggregate": "SUM",
    "label": "Total",
}


# A table chart of the total per company, as the embedded page asks for it.
TOTAL_BY_COMPANY = {
    "viz_type": "table",
    "query_mode": "aggregate",
    "groupby": ["company_id"],
    "metrics": [SUM_AMOUNT],
    "adhoc_filters": [],
    "row_limit": 1000,
}


def create_source_database(name):
    postgres.drop_db(name)
    postgres.psql(f'CREATE DATABASE "{name}"')
    postgres.psql(
        "CREATE TABLE sales (id serial PRIMARY KEY, company_id integer NOT NULL, amount numeric NOT NULL);"
        "INSERT INTO sales (company_id, amount) SELECT c, 10 * c + extra "
        "  FROM generate_series(1, 100) c CROSS JOIN (VALUES (0), (1)) AS e(extra);"
        "CREATE TABLE orders (id serial PRIMARY KEY, company_id integer NOT NULL, amount numeric NOT NULL);"
        "INSERT INTO orders (company_id, amount) SELECT company_id, amount FROM sales;"
        "CREATE TABLE catalog (id serial PRIMARY KEY, label text NOT NULL);"
        "INSERT INTO catalog (label) VALUES ('alpha'), ('beta'), ('gamma');"
        "CREATE TABLE shared (id serial PRIMARY KEY, company_id integer NOT NULL, label text NOT NULL);"
        "INSERT INTO shared (company_id, label) VALUES (0, 'everyone 1'), (0, 'everyone 2');"
        "INSERT INTO shared (company_id, label) SELECT c, 'company ' || c FROM generate_series(1, 100) c;"
        "CREATE TABLE regions (id serial PRIMARY KEY, company_id integer NOT NULL, name text NOT NULL);"
        "INSERT INTO regions (company_id, name) SELECT c, 'Region ' || c FROM generate_series(1, 100) c;",
        db=name,
    )


def _native_filter(dataset_id, column):
    return {
        "id": "NATIVE_FILTER-region",
        "name": "Region",
        "filterType": "filter_select",
        "type": "NATIVE_FILTER",
        "targets": [{"datasetId": dataset_id, "column": {"name": column}}],
        "controlValues": {"enableEmptyFilter": False, "multiSelect": True},
        "defaultDataMask": {"extraFormData": {}, "filterState": {}, "ownState": {}},
        "cascadeParentIds": [],
        "scope": {"rootPath": ["ROOT_ID"], "excluded": []},
        "description": "",
        "chartsInScope": [],
    }


def build(client, source_db, db_user, db_password, host="127.0.0.1", port=5432):
    """Everything in Superset; returns the ids the tests need."""
    create_source_database(source_db)
    return build_content(client, source_db, db_user, db_password, host, port)


def build_content(client, source_db, db_user, db_password, host="127.0.0.1", port=5432):
    """The database connection, datasets, charts and dashboards in a Superset, on an
    existing source database (another Superset can have its own on the same tables)."""
    database_id = client.post_json(
        "/api/v1/database/",
        {
            "database_name": f"tests {source_db}",
            "sqlalchemy_uri": f"postgresql://{db_user}:{db_password}@{host}:{port}/{source_db}",
        },
    )["id"]
    datasets = {
        table: client.post_json("/api/v1/dataset/", {"database": database_id, "schema": "public", "table_name": table})[
            "id"
        ]
        for table in ("sales", "orders", "catalog", "shared", "regions")
    }
    total = _chart(
        client,
        "Sales total",
        datasets["sales"],
        {"viz_type": "big_number_total", "metric": SUM_AMOUNT, "adhoc_filters": [], "y_axis_format": ",d"},
    )
    by_company = _chart(
        client,
        "Sales by company",
        datasets["sales"],
        TOTAL_BY_COMPANY,
    )
    catalog = _chart(
        client,
        "Catalog",
        datasets["catalog"],
        {"viz_type": "table", "query_mode": "raw", "all_columns": ["label"], "adhoc_filters": [], "row_limit": 100},
    )
    orders_by_company = _chart(
        client,
        "Orders by company",
        datasets["orders"],
        TOTAL_BY_COMPANY,
    )
    shared = _chart(
        client,
        "Shared labels",
        datasets["shared"],
        {
            "viz_type": "table",
            "query_mode": "raw",
            "all_columns": ["company_id", "label"],
            "adhoc_filters": [],
            "row_limit": 100,
        },
    )
    sales_dashboard = _dashboard(
        client,
        "RLS sales",
        [[Cell(total, "Sales total"), Cell(by_company, "Sales by company")]],
        [_native_filter(datasets["regions"], "name")],
    )
    mixed_dashboard = _dashboard(client, "RLS mixed", [[Cell(total, "Sales total"), Cell(catalog, "Catalog")]])
    shared_dashboard = _dashboard(client, "RLS shared", [[Cell(shared, "Shared labels")]])
    return {
        "source_db": source_db,
        "database_id": database_id,
        "datasets": datasets,
        "charts": {
            "total": total,
            "by_company": by_company,
            "catalog": catalog,
            "orders_by_company": orders_by_company,
            "shared": shared,
        },
        "dashboards": {"sales": sales_dashboard, "mixed": mixed_dashboard, "shared": shared_dashboard},
    }


def add_chart_to_dashboard(client, chart_id, dashboard_id):
    """What an editor does in Superset when placing an existing chart on a dashboard: the
    chart joins the dashboard (its cell in the layout is cosmetic to a guest's query)."""
    chart = client.get_json(f"/api/v1/chart/{int(chart_id)}")["result"]
    dashboards = sorted({d["id"] for d in chart.get("dashboards", [])} | {int(dashboard_id)})
    client.request("PUT", f"/api/v1/chart/{int(chart_id)}", json={"dashboards": dashboards})


def chart_data_body(dashboard_id, chart_id, dataset_id, columns, metrics, force=True):
    """The body of POST /api/v1/chart/data for one chart of a dashboard, as the embedded page
    sends it; force: past Superset's chart data cache (the page sends False)."""
    query = {"metrics": list(metrics), "columns": list(columns), "filters": [], "row_limit": 1000}
    return {
        "datasource": {"id": dataset_id, "type": "table"},
        "force": force,
        "queries": [query],
        "form_data": {"dashboardId": dashboard_id, "slice_id": chart_id, "datasource": f"{dataset_id}__table"},
        "result_format": "json",
        "result_type": "full",
    }


def chart_data(url, guest_token, dashboard_id, chart_id, dataset_id, columns=("company_id",), metrics=None, timeout=30):
    """What a guest sees: POST /api/v1/chart/data with the guest token, as the embedded page does.
    metrics: by default the RLS charts' (the total by company, or none for a raw table).

    Returns (HTTP status, rows)."""
    status, result = chart_result(
        url, guest_token, dashboard_id, chart_id, dataset_id, columns, metrics, timeout=timeout
    )
    return status, result.get("data", [])


def chart_result(
    url, guest_token, dashboard_id, chart_id, dataset_id, columns=("company_id",), metrics=None, force=True, timeout=30
):
    """(HTTP status, the query's result: data, is_cached...) of a guest chart-data request."""
    if metrics is None:
        metrics = [SUM_AMOUNT] if columns == ("company_id",) else []
    response = requests.post(
        f"{url}/api/v1/chart/data",
        json=chart_data_body(dashboard_id, chart_id, dataset_id, columns, metrics, force),
        headers={"X-GuestToken": guest_token, "Accept": "application/json"},
        timeout=timeout,
    )
    if response.status_code != 200:
        return response.status_code, {}
    return 200, response.json()["result"][0]


def drop(source_db):
    postgres.drop_db(source_db)


def async_chart_rows(url, guest_token, dashboard_id, chart_id, dataset_id, columns=("company_id",), timeout=60):
    """What a guest sees with GLOBAL_ASYNC_QUERIES on, step by step as the embedded page
    does it: POST /api/v1/chart/data answers 202 with a job (once the async-query cookie is
    set, by any earlier answer of Superset's), /api/v1/async_event/ tells when the Celery
    worker is done, the result is read from its URL.

    Returns (the 202 job, the result's rows, the result's URL); raises AssertionError when
    a step fails."""
    metrics = [SUM_AMOUNT] if columns == ("company_id",) else []
    session = requests.Session()
    session.headers.update({"X-GuestToken": guest_token, "Accept": "application/json"})
    body = chart_data_body(dashboard_id, chart_id, dataset_id, columns, metrics, force=True)
    response = session.post(f"{url}/api/v1/chart/data", json=body, timeout=timeout)
    if response.status_code == 401 and "async-token" in session.cookies:  # the cookie came with the refusal
        response = session.post(f"{url}/api/v1/chart/data", json=body, timeout=timeout)
    assert response.status_code == 202, (response.status_code, response.text[:300])
    job = response.json()
    deadline = time.monotonic() + timeout
    last_id = None
    while time.monotonic() < deadline:
        params = {"last_id": last_id} if last_id else {}
        events = session.get(f"{url}/api/v1/async_event/", params=params, timeout=timeout)
        assert events.status_code == 200, (events.status_code, events.text[:300])
        for event in events.json()["result"]:
            last_id = event["id"]
            if event["job_id"] != job["job_id"]:
                continue
            assert event["status"] == "done", event
            result = session.get(f"{url}{event['result_url']}", timeout=timeout)
            assert result.status_code == 200, (result.status_code, result.text[:300])
            return job, result.json()["result"][0]["data"], event["result_url"]
        time.sleep(0.3)
    raise AssertionError(f"async job {job['job_id']} not done within {timeout}s")


def filter_values(url, guest_token, dashboard_id, dataset_id, column, filter_id, timeout=60):
    """(HTTP status, the values a select filter lists, or None), asked as the embedded page
    asks for them: a query on the filter's dataset naming the dashboard and the filter."""
    body = {
        "datasource": {"id": dataset_id, "type": "table"},
        "force": True,
        "queries": [
            {"columns": [column], "metrics": [], "filters": [], "row_limit": 1000, "orderby": [[column, True]]}
        ],
        "form_data": {
            "dashboardId": dashboard_id,
            "type": "NATIVE_FILTER",
            "native_filter_id": filter_id,
            "datasource": f"{dataset_id}__table",
            "groupby": [column],
        },
        "result_format": "json",
        "result_type": "full",
    }
    response = requests.post(
        f"{url}/api/v1/chart/data",
        json=body,
        headers={"X-GuestToken": guest_token, "Accept": "application/json"},
        timeout=timeout,
    )
    if response.status_code != 200:
        return response.status_code, None
    return 200, [row[column] for row in response.json()["result"][0]["data"]]
