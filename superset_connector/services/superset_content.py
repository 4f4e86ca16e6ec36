"""Superset content through its REST API: charts, dashboards laid out in rows, and the
starter dashboards the addon ships (data/starter_dashboards/*.json).

A starter dashboard is built on the analytics views only when every view it reads is
installed and has its Superset dataset ("Connect Superset"); the charts of an optional
dataset (an app the area may lack, such as Time Off for Human resources) are left out
when its views are not, and the dashboard is built without them. It is found again by its
slug, which holds the Odoo database's name: a second run, or one after the dashboard was
renamed or edited in Superset, leaves it as it is and creates nothing twice.
"""

import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from .analytics_provisioning import list_datasets
from .errors import SupersetAuthError, SupersetError, SupersetUnavailable

# Services have no env: `_` marks a message that the models translate (services/text.py).
# pylint: disable=prefer-env-translation
from .text import _, joined

_logger = logging.getLogger(__name__)

STARTER_DIR = Path(__file__).resolve().parent.parent / "data" / "starter_dashboards"
GRID_COLUMNS = 12  # Superset's dashboard grid
ADHOC_KEYS = ("metric", "metrics", "timeseries_limit_metric", "groupby")


# --- building blocks ------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """A chart's place in a dashboard row (width in grid columns, height in grid units)."""

    chart_id: int
    name: str
    width: int = 4
    height: int = 50


def chart(client, name, dataset_id, params):
    """A chart on a dataset; params: the chart's form data (viz_type included). Returns its id."""
    params = {"datasource": f"{dataset_id}__table", "adhoc_filters": [], **params}
    body = {
        "slice_name": name,
        "viz_type": params["viz_type"],
        "datasource_id": dataset_id,
        "datasource_type": "table",
        "params": json.dumps(params),
    }
    return client.post_json("/api/v1/chart/", body)["id"]


def position(title, rows, uuids=None):
    """A dashboard layout: rows of cells [[Cell]], top to bottom, each left to right.
    uuids: {chart id: chart uuid}; a cell carries its chart's uuid as Superset's editor
    saves it (Superset's export and import map charts by it)."""
    uuids = uuids or {}
    layout = {
        "DASHBOARD_VERSION_KEY": "v2",
        "ROOT_ID": {"type": "ROOT", "id": "ROOT_ID", "children": ["GRID_ID"]},
        "GRID_ID": {"type": "GRID", "id": "GRID_ID", "children": [], "parents": ["ROOT_ID"]},
        "HEADER_ID": {"id": "HEADER_ID", "type": "HEADER", "meta": {"text": title}},
    }
    for index, cells in enumerate(rows, 1):
        row_id = f"ROW-{index}"
        layout["GRID_ID"]["children"].append(row_id)
        layout[row_id] = {
            "type": "ROW",
            "id": row_id,
            "children": [f"CHART-{cell.chart_id}" for cell in cells],
            "parents": ["ROOT_ID", "GRID_ID"],
            "meta": {"background": "BACKGROUND_TRANSPARENT"},
        }
        for cell in cells:
            layout[f"CHART-{cell.chart_id}"] = {
                "type": "CHART",
                "id": f"CHART-{cell.chart_id}",
                "children": [],
                "parents": ["ROOT_ID", "GRID_ID", row_id],
                "meta": {
                    "chartId": cell.chart_id,
                    "width": cell.width,
                    "height": cell.height,
                    "sliceName": cell.name,
                    **({"uuid": uuids[cell.chart_id]} if cell.chart_id in uuids else {}),
                },
            }
    return layout


def dashboard(client, title, rows, native_filters=(), slug=None, published=False):
    """A dashboard holding these rows of cells. Returns its id."""
    body = {"dashboard_title": title, "published": published, **({"slug": slug} if slug else {})}
    dashboard_id = client.post_json("/api/v1/dashboard/", body)["id"]
    uuids = {}
    for cell in (cell for cells in rows for cell in cells):
        found = client.get_json(f"/api/v1/chart/{cell.chart_id}")["result"]
        uuids[cell.chart_id] = found["uuid"]
        # The chart's dashboards are replaced, not added to: keep the ones it is on already.
        on = [d["id"] for d in found.get("dashboards", [])]
        client.request("PUT", f"/api/v1/chart/{cell.chart_id}", json={"dashboards": [*on, dashboard_id]})
    metadata = {"native_filter_configuration": list(native_filters), "color_scheme": "supersetColors"}
    client.request(
        "PUT",
        f"/api/v1/dashboard/{dashboard_id}",
        json={"position_json": json.dumps(position(title, rows, uuids)), "json_metadata": json.dumps(metadata)},
    )
    return dashboard_id


# --- starter dashboards ---------------------------------------------------------------


class StarterDefinitionError(ValueError):
    """A starter dashboard file that does not describe a dashboard (a mistake in the addon)."""


@dataclass(frozen=True)
class StarterDashboard:
    key: str  # the file's name
    title: str
    datasets: dict  # virtual dataset name -> {"views": [...], "sql": "..."[, "optional": true]}
    charts: tuple  # {"key", "name", "dataset", "width", "height", "params"[, "time_column"]}
    rows: tuple  # chart keys per row
    filters: tuple = ()  # {"key", "name", "type": "time"|"select"[, "dataset", "column"], "charts"}

    @property
    def views(self):
        """The analytics views the dashboard cannot be built without, read directly or
        through its own datasets (optional datasets excepted)."""
        used = {chart["dataset"] for chart in self.charts} | {f["dataset"] for f in self.filters if f.get("dataset")}
        names = used - set(self.datasets)
        for dataset in self.datasets.values():
            if not dataset.get("optional"):
                names.update(dataset["views"])
        return sorted(names)

    def without_missing(self, available):
        """(this dashboard without its optional datasets whose views are not all in
        available, and their missing views): their charts, the rows left empty, and the
        filters on them or applying to none of the remaining charts are left out."""
        dropped = {
            name
            for name, dataset in self.datasets.items()
            if dataset.get("optional") and not set(dataset["views"]) <= set(available)
        }
        if not dropped:
            return self, []
        missing = sorted({v for name in dropped for v in self.datasets[name]["views"] if v not in available})
        charts = tuple(chart for chart in self.charts if chart["dataset"] not in dropped)
        kept = {chart["key"] for chart in charts}
        filters = []
        for item in self.filters:
            in_scope = tuple(key for key in item["charts"] if key in kept)
            if in_scope and item.get("dataset") not in dropped:
                filters.append({**item, "charts": in_scope})
        narrowed = StarterDashboard(
            key=self.key,
            title=self.title,
            datasets={name: spec for name, spec in self.datasets.items() if name not in dropped},
            charts=charts,
            rows=tuple(row for row in (tuple(k for k in row if k in kept) for row in self.rows) if row),
            filters=tuple(filters),
        )
        return narrowed, missing


def load_starters(directory=STARTER_DIR):
    """The starter dashboards, in the order of their files' names."""
    return [_load_starter(path) for path in sorted(Path(directory).glob("*.json"))]


def _load_starter(path):
    """One file: title, datasets, charts, rows (its "description" is for people reading it)."""
    try:
        spec = json.loads(path.read_text(encoding="utf-8"))
        charts = tuple(
            {"width": 4, "height": 50, **chart, "params": _timed(_expand(chart["params"]), chart.get("time_column"))}
            for chart in spec["charts"]
        )
        starter = StarterDashboard(
            key=path.stem,
            title=spec["title"],
            datasets=spec.get("datasets", {}),
            charts=charts,
            rows=tuple(tuple(row) for row in spec["rows"]),
            filters=tuple(_filter_spec(item, charts) for item in spec.get("filters", ())),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise StarterDefinitionError(f"{path.name}: {exc!r}") from exc
    _check_starter(starter, path.name)
    return starter


def _expand(params):
    """The starter files' shorthand in Superset's form data: {"sql", "label"} in a
    metric slot is an ad-hoc SQL metric, in a group-by an ad-hoc column (its label is
    the table's column header); both have the same shape in Superset."""

    def adhoc(item):
        if isinstance(item, dict) and item.keys() == {"sql", "label"}:
            return {"expressionType": "SQL", "sqlExpression": item["sql"], "label": item["label"]}
        return item

    params = dict(params)
    for key in ADHOC_KEYS:
        if isinstance(params.get(key), list):
            params[key] = [adhoc(item) for item in params[key]]
        elif key in params:
            params[key] = adhoc(params[key])
    return params


def _timed(params, column):
    """A chart the dashboard's period filter applies to, as Superset's editor saves one:
    its time column, no range of its own, and the temporal filter the period fills in."""
    if not column:
        return params
    temporal = {
        "expressionType": "SIMPLE",
        "clause": "WHERE",
        "subject": column,
        "operator": "TEMPORAL_RANGE",
        "comparator": "No filter",
    }
    return {
        **params,
        "granularity_sqla": column,
        "time_range": "No filter",
        "adhoc_filters": [*params.get("adhoc_filters", []), temporal],
    }


def _filter_spec(item, charts):
    """A native filter of the file, with the charts it applies to (by key): listed, or by
    default every chart with a time column (period) or every chart (select)."""
    kind = item["type"]
    if kind not in ("time", "select"):
        raise ValueError(f"filter {item['key']}: type {kind!r} is not time or select")
    if kind == "select" and not (item.get("dataset") and item.get("column")):
        raise ValueError(f"filter {item['key']}: a select filter needs its dataset and column")
    default = [c["key"] for c in charts if c.get("time_column")] if kind == "time" else [c["key"] for c in charts]
    return {**item, "charts": tuple(item.get("charts") or default)}


def _check_starter(starter, filename):
    keys = [chart["key"] for chart in starter.charts]
    placed = [key for row in starter.rows for key in row]
    problems = []
    if len(set(keys)) != len(keys):
        problems.append("two charts share a key")
    if sorted(placed) != sorted(keys):
        problems.append(f"rows must place each chart once: {placed} vs {keys}")
    widths = {chart["key"]: chart["width"] for chart in starter.charts}
    for row in starter.rows:
        if sum(widths.get(key, 0) for key in row) > GRID_COLUMNS:
            problems.append(f"row {list(row)} is wider than {GRID_COLUMNS} columns")
    for name, dataset in starter.datasets.items():
        if not re.fullmatch(r"starter_[a-z0-9_]+", name) or not dataset.get("views") or not dataset.get("sql"):
            problems.append(f"dataset {name}: a starter_* name, its views and its sql are needed")
    timed = {chart["key"] for chart in starter.charts if chart.get("time_column")}
    filter_keys = [item["key"] for item in starter.filters]
    if len(set(filter_keys)) != len(filter_keys) or not all(re.fullmatch(r"[a-z0-9_]+", k) for k in filter_keys):
        problems.append("filter keys must be distinct, in a-z, 0-9 and _")
    for item in starter.filters:
        unknown = sorted(set(item["charts"]) - set(keys))
        if unknown:
            problems.append(f"filter {item['key']} applies to unknown charts {unknown}")
        if item["type"] == "time" and not set(item["charts"]) <= timed:
            problems.append(f"filter {item['key']}: charts {sorted(set(item['charts']) - timed)} have no time_column")
        if not item["charts"]:
            problems.append(f"filter {item['key']} applies to no chart")
        problems.extend(_open_from_problems(item))
    if problems:
        raise StarterDefinitionError(f"{filename}: {'; '.join(problems)}")


def _open_from_problems(item):
    """What is wrong with a filter's "open_from" ({"model", "field"}: the records that open
    the dashboard filtered on their field's value)."""
    open_from = item.get("open_from")
    if open_from is None:
        return []
    if item["type"] != "select":
        return [f"filter {item['key']}: a {item['type']} filter cannot open from records"]
    if not (
        isinstance(open_from, dict)
        and open_from.keys() == {"model", "field"}
        and all(isinstance(value, str) and value for value in open_from.values())
    ):
        return [f'filter {item["key"]}: open_from is {{"model": ..., "field": ...}}']
    return []


def starter_slug(database, key):
    """The slug a starter dashboard has in Superset: unique per Odoo database."""
    base = re.sub(r"[^a-z0-9]+", "-", database.lower()).strip("-") or "odoo"
    return f"odoo-{base[:80]}-{key}"


@dataclass
class StarterReport:
    created: dict = field(default_factory=dict)  # title -> Superset dashboard id
    existing: dict = field(default_factory=dict)  # title -> Superset dashboard id
    skipped: dict = field(default_factory=dict)  # title -> views not ready
    partial: dict = field(default_factory=dict)  # title (created) -> views of the charts left out
    failed: dict = field(default_factory=dict)  # title -> message


def build_starters(client, starters, *, database_id, schema, datasets, database, progress=None):
    """Create in Superset each starter dashboard whose views are all in datasets.

    datasets: {view name: Superset dataset id} of the views connected to Superset;
    database_id/schema: the analytics database connection, for the starters' own
    datasets; database: the Odoo database's name (it makes the slugs). A dashboard that
    fails is reported, the charts and dashboard made for it removed, and the next one is
    built all the same. A Superset that is down or refuses the service account stops
    the run (SupersetUnavailable, SupersetAuthError): the next dashboards would fail alike.
    """
    say = progress or (lambda _message: None)
    report = StarterReport()
    for starter in starters:
        missing = [view for view in starter.views if not datasets.get(view)]
        if missing:
            report.skipped[starter.title] = missing
            continue
        slug = starter_slug(database, starter.key)
        try:
            found = client.find("dashboard", "slug", slug)
            if found:
                report.existing[starter.title] = found["id"]
                continue
            say(f"Building the starter dashboard {starter.title!r}")
            built, left_out = starter.without_missing([view for view, dataset_id in datasets.items() if dataset_id])
            report.created[starter.title] = _build_starter(client, built, slug, database_id, schema, datasets)
            if left_out:
                report.partial[starter.title] = left_out
        except (SupersetUnavailable, SupersetAuthError):
            raise
        except SupersetError as exc:
            _logger.warning("Superset starter dashboard %s: %s", starter.title, exc)
            report.failed[starter.title] = exc.text
    return report


def _build_starter(client, starter, slug, database_id, schema, datasets):
    made = []  # (resource, id) to remove if the dashboard cannot be finished
    try:
        ids = dict(datasets)
        known = {d["table_name"]: d["id"] for d in list_datasets(client, database_id) if d.get("schema") == schema}
        for name, dataset in starter.datasets.items():
            ids[name] = _virtual_dataset(client, known, database_id, schema, name, dataset["sql"])
        cells = {}
        for spec in starter.charts:
            chart_id = chart(client, spec["name"], ids[spec["dataset"]], spec["params"])
            made.append(("chart", chart_id))
            cells[spec["key"]] = Cell(chart_id, spec["name"], spec["width"], spec["height"])
        rows = [[cells[key] for key in row] for row in starter.rows]
        charts = {key: cell.chart_id for key, cell in cells.items()}
        filters = [native_filter(item, charts, ids) for item in starter.filters]
        return dashboard(client, starter.title, rows, native_filters=filters, slug=slug, published=True)
    except SupersetError:
        found = _find_quietly(client, slug)
        if found:
            made.append(("dashboard", found["id"]))
        for resource, object_id in reversed(made):
            _delete_quietly(client, resource, object_id)
        raise


def native_filter(item, charts, datasets):
    """Superset's native filter configuration for a filter of a starter file (as its
    dashboard editor saves one). charts: {chart key: Superset id}; datasets: {name:
    Superset dataset id}. A select filter's values are a guest query on its dataset, which
    the token's company rule covers like any chart's (Superset checks that the dataset is
    a target of the filter the query names)."""
    in_scope = [charts[key] for key in item["charts"]]
    common = {
        "id": f"NATIVE_FILTER-{item['key']}",
        "name": item["name"],
        "type": "NATIVE_FILTER",
        "description": item.get("description", ""),
        "cascadeParentIds": [],
        "defaultDataMask": {"extraFormData": {}, "filterState": {}, "ownState": {}},
        "scope": {"rootPath": ["ROOT_ID"], "excluded": sorted(set(charts.values()) - set(in_scope))},
        "chartsInScope": in_scope,
        "tabsInScope": [],
    }
    if item["type"] == "time":
        return {**common, "filterType": "filter_time", "targets": [{}], "controlValues": {"enableEmptyFilter": False}}
    return {
        **common,
        "filterType": "filter_select",
        "targets": [{"datasetId": int(datasets[item["dataset"]]), "column": {"name": item["column"]}}],
        "controlValues": {
            "enableEmptyFilter": False,
            "defaultToFirstItem": False,
            "multiSelect": True,
            "searchAllOptions": False,
            "inverseSelection": False,
        },
    }


def _virtual_dataset(client, known, database_id, schema, name, sql):
    """The starter's own dataset (SQL over the analytics views): known already (by name,
    in the analytics database connection), else created."""
    if name in known:
        return known[name]
    body = {"database": int(database_id), "schema": schema, "table_name": name, "sql": sql}
    return client.post_json("/api/v1/dataset/", body)["id"]


def _find_quietly(client, slug):
    try:
        return client.find("dashboard", "slug", slug)
    except SupersetError:
        return None


def _delete_quietly(client, resource, object_id):
    """Remove what a failed starter made; what cannot be removed is logged, not raised
    (the failure that matters is the one being reported)."""
    try:
        response = client.request("DELETE", f"/api/v1/{resource}/{int(object_id)}", check=False)
        problem = None if response.status_code in (200, 404) else f"HTTP {response.status_code}"
    except SupersetError as exc:
        problem = exc
    if problem:
        _logger.warning("Superset %s %s of a failed starter dashboard stays: %s", resource, object_id, problem)


def describe(report, missing_apps=None):
    """What build_starters did, in a few sentences, for the user (a Text). missing_apps:
    {title: names of the apps a skipped dashboard, or the charts left out of a partial
    one, wait for}, when the caller knows them; a dashboard whose apps are all there
    waits for Connect Superset."""
    missing_apps = missing_apps or {}
    parts = []
    if report.created:
        parts.append(_("Created: %(titles)s.", titles=", ".join(report.created)))
    for title, views in report.partial.items():
        parts.append(
            _(
                "%(title)s was built without the charts that need %(what)s: they are added if you install it, "
                "click Connect Superset, delete the dashboard in Superset and create the starter dashboards again.",
                title=title,
                what=", ".join(missing_apps.get(title) or views),
            )
        )
    if report.existing:
        parts.append(_("Already in Superset, left as they are: %(titles)s.", titles=", ".join(report.existing)))
    for title, views in report.skipped.items():
        if missing_apps.get(title):
            parts.append(
                _(
                    "%(title)s was skipped: it needs the %(apps)s app(s); install them, then click Connect Superset.",
                    title=title,
                    apps=", ".join(missing_apps[title]),
                )
            )
            continue
        parts.append(
            _(
                "%(title)s needs %(views)s: install its app, then click Connect Superset.",
                title=title,
                views=", ".join(views),
            )
        )
    for title, message in report.failed.items():
        parts.append(_("%(title)s could not be built: %(message)s", title=title, message=message))
    return joined(" ", parts)
