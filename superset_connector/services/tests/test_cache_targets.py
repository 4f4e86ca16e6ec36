"""Which Superset datasets read a refreshed view, and what the stamp keeps of their extra
(services/superset_cache.py), with no server."""

import json

from ..superset_cache import (
    STAMP_KEY,
    datasets_reading,
    stamped_extra,
)


def test_datasets_reading_finds_the_dataset_on_the_view_and_the_sql_naming_it():
    datasets = [
        {"id": 1, "table_name": "mv_sale_monthly", "schema": "superset_analytics", "sql": None},
        {"id": 2, "table_name": "vw_sale_monthly", "schema": "superset_analytics", "sql": ""},
        {"id": 3, "table_name": "mv_sale_monthly", "schema": "other", "sql": None},
        {"id": 4, "table_name": "q1", "schema": "x", "sql": "SELECT * FROM superset_analytics.mv_sale_monthly"},
        {"id": 5, "table_name": "q2", "schema": "x", "sql": 'select 1 from "superset_analytics" . "MV_SALE_MONTHLY" m'},
        {"id": 6, "table_name": "q3", "schema": "x", "sql": "SELECT * FROM mv_sale_monthly_archive"},
        {"id": 7, "table_name": "q4", "schema": "x", "sql": "SELECT * FROM superset_analytics.vw_sale_monthly"},
        {"id": 8, "table_name": "q5", "schema": "x", "sql": "WITH m AS (SELECT * FROM mv_sale_monthly) SELECT 1"},
    ]
    readers = datasets_reading(datasets, "superset_analytics", ["mv_sale_monthly", "mv_sale_daily"])
    assert {view: [d["id"] for d in found] for view, found in readers.items()} == {
        "mv_sale_monthly": [1, 4, 5, 8],
        "mv_sale_daily": [],
    }


def test_the_stamp_keeps_what_extra_holds():
    kept = json.loads(stamped_extra(json.dumps({"certification": {"certified_by": "BI"}}), "2026-12-01T10:00:00Z"))
    assert kept == {"certification": {"certified_by": "BI"}, STAMP_KEY: "2026-12-01T10:00:00Z"}
    assert json.loads(stamped_extra("not json", "t")) == {STAMP_KEY: "t"}
    assert json.loads(stamped_extra(None, "t")) == {STAMP_KEY: "t"}
