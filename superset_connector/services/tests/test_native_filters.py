"""Native filters (services/native_filters.py): the configuration read from a dashboard's
json_metadata, the entries Odoo builds, the rison the embedded page decodes, and what of
a browser's data mask is remembered (the attacker's masks refused)."""

import json

import pytest

from .. import native_filters as nf
from ..native_filters import FilterSpec, NativeFilterError

METADATA = {
    "native_filter_configuration": [
        {
            "id": "NATIVE_FILTER-period",
            "name": "Period",
            "type": "NATIVE_FILTER",
            "filterType": "filter_time",
            "targets": [{}],
            "controlValues": {"enableEmptyFilter": False},
        },
        {"id": "NATIVE_FILTER_DIVIDER-x1", "type": "DIVIDER", "title": "More", "description": ""},
        {
            "id": "NATIVE_FILTER-product",
            "name": "Product",
            "type": "NATIVE_FILTER",
            "filterType": "filter_select",
            "targets": [{"datasetId": 12, "column": {"name": "product_name"}}],
            "controlValues": {"multiSelect": True, "inverseSelection": False},
        },
        {
            "id": "NATIVE_FILTER-not_company",
            "name": "Not company",
            "type": "NATIVE_FILTER",
            "filterType": "filter_select",
            "targets": [{"datasetId": 3, "column": {"name": "company"}}],
            "controlValues": {"inverseSelection": True},
        },
        {
            "id": "NATIVE_FILTER-amount",
            "name": "Amount",
            "type": "NATIVE_FILTER",
            "filterType": "filter_range",
            "targets": [{"datasetId": 12, "column": {"name": "amount"}}],
        },
    ]
}
SPECS = nf.parse_configuration(json.dumps(METADATA))
PERIOD, PRODUCT, NOT_COMPANY, AMOUNT = SPECS


def product_entry(values, **changes):
    entry = {
        "id": PRODUCT.filter_id,
        "extraFormData": {"filters": [{"col": "product_name", "op": "IN", "val": values}]},
        "filterState": {"value": values, "label": ", ".join(map(str, values)), "excludeFilterValues": True},
        "ownState": {"clientView": {"rows": 5}},
    }
    entry.update(changes)
    return entry


# --- configuration -------------------------------------------------------------------


def test_configuration_of_a_dashboard():
    specs = nf.parse_configuration(json.dumps(METADATA))
    assert specs == [
        FilterSpec("NATIVE_FILTER-period", "Period", "filter_time", None, None, False),
        FilterSpec("NATIVE_FILTER-product", "Product", "filter_select", "product_name", 12, False),
        FilterSpec("NATIVE_FILTER-not_company", "Not company", "filter_select", "company", 3, True),
        FilterSpec("NATIVE_FILTER-amount", "Amount", "filter_range", "amount", 12, False),
    ]
    assert nf.parse_configuration(METADATA) == SPECS
    assert nf.parse_configuration("") == []
    assert nf.parse_configuration({"native_filter_configuration": None}) == []


# --- entries ----------------------------------------------------------------------------


def test_entries():
    assert nf.select_entry(PRODUCT, ["Task chair", "Desk"]) == {
        "id": "NATIVE_FILTER-product",
        "extraFormData": {"filters": [{"col": "product_name", "op": "IN", "val": ["Task chair", "Desk"]}]},
        "filterState": {"value": ["Task chair", "Desk"], "label": "Task chair, Desk"},
        "ownState": {},
    }
    assert nf.select_entry(NOT_COMPANY, ["A"])["extraFormData"]["filters"][0]["op"] == "NOT IN"
    assert nf.time_entry(PERIOD, "Last week") == {
        "id": "NATIVE_FILTER-period",
        "extraFormData": {"time_range": "Last week"},
        "filterState": {"value": "Last week"},
        "ownState": {},
    }


# --- rison ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"a": [1, "x y"], "b": True}, "(a:!(1,'x y'),b:!t)"),
        ({}, "()"),
        ([], "!()"),
        ({"b": None, "a": False}, "(a:!f,b:!n)"),
        ("", "''"),
        ("abc", "abc"),
        ("NATIVE_FILTER-product", "NATIVE_FILTER-product"),
        ("a.b/c~d_e", "a.b/c~d_e"),
        ("1abc", "'1abc'"),
        ("-x", "'-x'"),
        ("don't!", "'don!'t!!'"),
        ("Chaise été", "'Chaise été'"),
        ("a:b", "'a:b'"),
        ("(x)", "'(x)'"),
        (-3, "-3"),
        (2.5, "2.5"),
        (1.0, "1"),
        (1e20, "1e20"),
        (1e-7, "1e-07"),
        ([[], {}, [None]], "!(!(),(),!(!n))"),
        ({"x y": 1}, "('x y':1)"),
    ],
)
def test_rison(value, expected):
    assert nf.to_rison(value) == expected


def test_rison_of_a_mask():
    mask = {PRODUCT.filter_id: nf.select_entry(PRODUCT, ["Task chair"])}
    assert nf.to_rison(mask) == (
        "(NATIVE_FILTER-product:(extraFormData:(filters:!((col:product_name,op:IN,val:!('Task chair')))),"
        "filterState:(label:'Task chair',value:!('Task chair')),id:NATIVE_FILTER-product,ownState:()))"
    )


def test_rison_refuses_what_it_cannot_encode():
    with pytest.raises(TypeError):
        nf.to_rison({1: "a"})
    with pytest.raises(TypeError):
        nf.to_rison(object())


# --- remembering ------------------------------------------------------------------------


def test_valid_entries_are_kept_rebuilt():
    mask = {
        PRODUCT.filter_id: product_entry(["Task chair", 3]),
        NOT_COMPANY.filter_id: {
            "id": NOT_COMPANY.filter_id,
            "extraFormData": {"filters": [{"col": "company", "op": "NOT IN", "val": ["B"]}]},
            "filterState": {"value": ["B"]},
        },
        PERIOD.filter_id: {
            "id": PERIOD.filter_id,
            "extraFormData": {"time_range": "2026-01-01 : 2026-07-01"},
            "filterState": {"value": "2026-01-01 : 2026-07-01", "validateStatus": False},
            "ownState": {"x": 1},
        },
    }
    assert nf.clean_data_mask(mask, SPECS) == {
        PRODUCT.filter_id: nf.select_entry(PRODUCT, ["Task chair", 3]),
        NOT_COMPANY.filter_id: nf.select_entry(NOT_COMPANY, ["B"]),
        PERIOD.filter_id: nf.time_entry(PERIOD, "2026-01-01 : 2026-07-01"),
    }


def test_a_value_without_extra_form_data_is_kept():
    """The filter bar not mounted yet: the value alone says the choice."""
    mask = {PRODUCT.filter_id: {"id": PRODUCT.filter_id, "extraFormData": {}, "filterState": {"value": ["Desk"]}}}
    assert nf.clean_data_mask(mask, SPECS) == {PRODUCT.filter_id: nf.select_entry(PRODUCT, ["Desk"])}


def test_what_is_not_worth_remembering_is_dropped():
    mask = {
        "crossFiltersChanged": True,
        "nativeFiltersChanged": False,
        "5": {"id": "5", "extraFormData": {"filters": [{"col": "company", "op": "IN", "val": ["A"]}]}},
        "NATIVE_FILTER-gone": product_entry(["x"], id="NATIVE_FILTER-gone"),
        AMOUNT.filter_id: {"id": AMOUNT.filter_id, "extraFormData": {"filters": [{"col": "amount", "op": ">="}]}},
        PRODUCT.filter_id: {"id": PRODUCT.filter_id, "extraFormData": {}, "filterState": {"value": None}},
        PERIOD.filter_id: {"id": PERIOD.filter_id, "extraFormData": {}, "filterState": {}, "ownState": {}},
        NOT_COMPANY.filter_id: {
            "id": NOT_COMPANY.filter_id,
            "extraFormData": {"filters": [{"col": "company", "op": "NOT IN", "val": []}]},
            "filterState": {"value": []},
        },
    }
    assert nf.clean_data_mask(mask, SPECS) == {}


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        (product_entry(["x"], extraFormData={"filters": [{"col": "secret", "op": "IN", "val": ["x"]}]}), "column"),
        (product_entry(["x"], extraFormData={"filters": [{"col": "product_name", "op": "LIKE", "val": ["x"]}]}), "op"),
        (product_entry([["nested"]]), "not valid"),
        (product_entry([{"a": 1}]), "not valid"),
        (product_entry([None]), "not valid"),
        (product_entry([f"v{i}" for i in range(201)]), "at most 200"),
        (product_entry(["x" * 501]), "longer than"),
        (product_entry("x"), "not valid"),
        (product_entry(["x"], filterState={"value": ["y"]}), "do not agree"),
        (product_entry(["x"], extraFormData={"filters": [{"col": "product_name", "op": "IN", "val": ["x"]}] * 2}), ""),
        (product_entry(["x"], extraFormData="filters"), "not valid"),
        ("not an entry", "not valid"),
    ],
)
def test_malformed_entries_of_known_filters_are_refused(entry, words):
    with pytest.raises(NativeFilterError) as caught:
        nf.clean_data_mask({PRODUCT.filter_id: entry}, SPECS)
    assert "Product" in str(caught.value)
    assert words in str(caught.value)


@pytest.mark.parametrize(
    "entry",
    [
        {"extraFormData": {"time_range": 12}},
        {"extraFormData": {"time_range": "x" * 101}},
        {"extraFormData": {"time_range": "Last week"}, "filterState": {"value": "Last month"}},
    ],
)
def test_malformed_periods_are_refused(entry):
    with pytest.raises(NativeFilterError, match="Period"):
        nf.clean_data_mask({PERIOD.filter_id: {"id": PERIOD.filter_id, **entry}}, SPECS)


def test_a_huge_mask_is_refused():
    mask = {f"{i}": {"ownState": {"clientView": "x" * 1000}} for i in range(70)}
    with pytest.raises(NativeFilterError, match="too large"):
        nf.clean_data_mask(mask, SPECS)
    with pytest.raises(NativeFilterError):
        nf.clean_data_mask(["not", "a", "mask"], SPECS)


def test_200_values_are_accepted():
    values = [f"v{i}" for i in range(200)]
    assert nf.clean_data_mask({PRODUCT.filter_id: product_entry(values)}, SPECS) == {
        PRODUCT.filter_id: nf.select_entry(PRODUCT, values)
    }
