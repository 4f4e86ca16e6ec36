"""Fresh figures after a materialized view refresh, when Superset caches chart data.

Superset keys each cached chart result by, among other things, the `changed_on` of its
dataset: one write to a dataset makes every chart on it query the database again, with
any cache backend. Superset's own /api/v1/cachekey/invalidate is no substitute: it knows
only the keys recorded with STORE_CACHE_KEYS_IN_METADATA_DB, and deletes them from the
CACHE_CONFIG store, not from the chart data cache. The write records, in the dataset's
`extra`, when Odoo last refreshed the data it reads.
"""

import json
import re
from dataclasses import dataclass, field

from .analytics_provisioning import list_datasets
from .errors import SupersetError, SupersetUnavailable

STAMP_KEY = "odoo_data_refreshed_at"
DATASET_COLUMNS = ("id", "table_name", "schema", "sql", "extra")


def _names(sql, schema, view):
    """Whether this SQL reads the view (by its name, qualified or not, quoted or not)."""
    name = re.escape(view)
    pattern = rf'(?<![\w$"])(?:"?{re.escape(schema)}"?\s*\.\s*)?"?{name}"?(?![\w$])'
    return re.search(pattern, sql or "", re.IGNORECASE) is not None


def datasets_reading(datasets, schema, view_names):
    """{view name: [datasets]}: the dataset on each view, and every SQL dataset naming it."""
    readers = {view: [] for view in view_names}
    for dataset in datasets:
        sql = (dataset.get("sql") or "").strip()
        for view in view_names:
            on_view = dataset.get("table_name") == view and dataset.get("schema") == schema
            if _names(sql, schema, view) if sql else on_view:
                readers[view].append(dataset)
    return readers


def stamped_extra(extra, stamp):
    """The dataset's `extra` JSON with the refresh stamp set; whatever else it holds
    (certification, warnings) is kept."""
    try:
        values = json.loads(extra) if extra else {}
    except ValueError:
        values = {}
    if not isinstance(values, dict):
        values = {}
    return json.dumps({**values, STAMP_KEY: stamp})


@dataclass
class ExpiryReport:
    expired: dict = field(default_factory=dict)  # view name -> [dataset ids written]
    failed: dict = field(default_factory=dict)  # view name -> SupersetError


def datasets_to_expire(client, database_id, schema, view_names):
    """{view name: [datasets]} of this database connection's datasets reading each view."""
    return datasets_reading(list_datasets(client, database_id, columns=DATASET_COLUMNS), schema, view_names)


def expire(client, readers, stamp):
    """Make Superset recompute the charts of these datasets ({view: [datasets]}). A
    Superset that is down raises SupersetUnavailable (all of it is to try again); a
    dataset Superset refuses to write (or that is gone) is reported on the views it
    reads, and the others go on."""
    outcome = {}  # dataset id -> None (written) or the error
    for dataset in {d["id"]: d for found in readers.values() for d in found}.values():
        try:
            client.request(
                "PUT",
                f"/api/v1/dataset/{int(dataset['id'])}",
                json={"extra": stamped_extra(dataset.get("extra"), stamp)},
            )
            outcome[dataset["id"]] = None
        except SupersetUnavailable:
            raise
        except SupersetError as exc:
            outcome[dataset["id"]] = exc
    report = ExpiryReport()
    for view, found in readers.items():
        error = next((outcome[d["id"]] for d in found if outcome[d["id"]] is not None), None)
        if error:
            report.failed[view] = error
        else:
            report.expired[view] = [d["id"] for d in found]
    return report


def expire_cached_charts(client, database_id, schema, view_names, stamp):
    """Make Superset recompute every chart of this database connection reading one of
    these views (see expire)."""
    return expire(client, datasets_to_expire(client, database_id, schema, view_names), stamp)
