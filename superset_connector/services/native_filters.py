"""Native filters of a Superset dashboard, as Odoo sets and remembers them.

The embedded page reads its initial filter values from the `native_filters` URL
parameter: a data mask ({filter id: entry}) in rison. Odoo builds the entries itself from
the dashboard's filter configuration (its json_metadata), for a record a user opens the
dashboard from and for the filters a user last chose. What the browser reports of the
filters is checked against that configuration and rebuilt, never stored as sent.
"""

import json
import math
import re
from dataclasses import dataclass

# Services have no env: `_` marks a message that the models translate (services/text.py).
# pylint: disable=prefer-env-translation
from .text import _

SELECT = "filter_select"
TIME = "filter_time"
REMEMBERED_TYPES = frozenset({SELECT, TIME})
SELECT_OPS = ("IN", "NOT IN")
MAX_VALUES = 200  # values of one select filter
MAX_VALUE_CHARS = 500  # one value of a select filter
MAX_TIME_RANGE_CHARS = 100
MAX_MASK_BYTES = 64 * 1024  # the whole data mask, as JSON


class NativeFilterError(ValueError):
    """A data mask does not fit the dashboard's filters (its message, a Text, says which)."""


@dataclass(frozen=True)
class FilterSpec:
    """One native filter of a dashboard: what a data mask entry for it must hold."""

    filter_id: str
    name: str
    filter_type: str
    column: str | None = None
    dataset_id: int | None = None
    inverse: bool = False


# --- the configuration ----------------------------------------------------------------


def parse_configuration(json_metadata):
    """The native filters (FilterSpec, in the dashboard's order) of a dashboard's
    json_metadata (a JSON string, as Superset's API returns it, or a dict); dividers and
    other non-filter entries are left out."""
    if isinstance(json_metadata, str | bytes):
        json_metadata = json.loads(json_metadata or "{}")
    specs = []
    for item in (json_metadata or {}).get("native_filter_configuration") or ():
        if not isinstance(item, dict) or item.get("type", "NATIVE_FILTER") != "NATIVE_FILTER" or not item.get("id"):
            continue
        targets = item.get("targets") or [{}]
        target = targets[0] if isinstance(targets[0], dict) else {}
        column = (target.get("column") or {}).get("name") if isinstance(target.get("column"), dict) else None
        dataset_id = target.get("datasetId")
        specs.append(
            FilterSpec(
                filter_id=str(item["id"]),
                name=str(item.get("name") or item["id"]),
                filter_type=str(item.get("filterType") or ""),
                column=column or None,
                dataset_id=int(dataset_id)
                if isinstance(dataset_id, int) and not isinstance(dataset_id, bool)
                else None,
                inverse=bool((item.get("controlValues") or {}).get("inverseSelection")),
            )
        )
    return specs


# --- entries --------------------------------------------------------------------------


def select_entry(spec, values):
    """The data mask entry setting a select filter to values (a list of scalars)."""
    values = list(values)
    return {
        "id": spec.filter_id,
        "extraFormData": {
            "filters": [{"col": spec.column, "op": "NOT IN" if spec.inverse else "IN", "val": values}],
        },
        "filterState": {"value": values, "label": ", ".join(str(value) for value in values)},
        "ownState": {},
    }


def time_entry(spec, time_range):
    """The data mask entry setting a time filter to a range ("<since> : <until>", "Last week"...)."""
    return {
        "id": spec.filter_id,
        "extraFormData": {"time_range": time_range},
        "filterState": {"value": time_range},
        "ownState": {},
    }


def clean_data_mask(mask, specs):
    """{filter id: entry} worth remembering of a data mask the browser reports: the set
    select and time filters of specs, rebuilt (select_entry, time_entry). Other keys
    (chart ids of cross filters, filters of other types or unknown, Superset's flags) and
    cleared filters are left out; a malformed entry of a known filter raises
    NativeFilterError, as does a mask larger than MAX_MASK_BYTES."""
    if not isinstance(mask, dict):
        raise NativeFilterError(_("The filters sent are not a data mask."))
    try:
        size = len(json.dumps(mask, separators=(",", ":")).encode())
    except (TypeError, ValueError) as exc:
        raise NativeFilterError(_("The filters sent are not a data mask.")) from exc
    if size > MAX_MASK_BYTES:
        raise NativeFilterError(
            _("The filters sent are too large (%(size)s bytes, at most %(max)s).", size=size, max=MAX_MASK_BYTES)
        )
    by_id = {spec.filter_id: spec for spec in specs if spec.filter_type in REMEMBERED_TYPES}
    cleaned = {}
    for key, entry in mask.items():
        spec = by_id.get(key)
        if spec is None:
            continue
        if not isinstance(entry, dict):
            raise _malformed(spec)
        extra = _dict_or_empty(entry.get("extraFormData"), spec)
        state = _dict_or_empty(entry.get("filterState"), spec)
        rebuilt = _clean_select(spec, extra, state) if spec.filter_type == SELECT else _clean_time(spec, extra, state)
        if rebuilt is not None:
            cleaned[spec.filter_id] = rebuilt
    return cleaned


def _clean_select(spec, extra, state):
    filters = extra.get("filters")
    value = state.get("value")
    if filters in (None, []):
        if _empty(value):
            return None  # cleared
        values = _check_values(spec, value)
    else:
        if not isinstance(filters, list) or len(filters) != 1 or not isinstance(filters[0], dict):
            raise _malformed(spec)
        clause = filters[0]
        if clause.get("col") != spec.column:
            raise NativeFilterError(
                _(
                    "The filter %(name)s applies to the column %(column)s, not %(other)s.",
                    name=spec.name,
                    column=spec.column,
                    other=str(clause.get("col"))[:100],
                )
            )
        if clause.get("op") not in SELECT_OPS:
            raise NativeFilterError(
                _(
                    "The filter %(name)s does not take the operator %(op)s.",
                    name=spec.name,
                    op=str(clause.get("op"))[:100],
                )
            )
        values = _check_values(spec, clause.get("val"))
        if not _empty(value) and _check_values(spec, value) != values:
            raise NativeFilterError(_("The values of the filter %(name)s do not agree.", name=spec.name))
    if not values:
        return None
    return select_entry(spec, values)


def _clean_time(spec, extra, state):
    time_range = extra.get("time_range")
    value = state.get("value")
    if _empty(time_range) and _empty(value):
        return None  # cleared
    for candidate in (time_range, value):
        if not _empty(candidate) and (not isinstance(candidate, str) or len(candidate) > MAX_TIME_RANGE_CHARS):
            raise NativeFilterError(
                _(
                    "The period of the filter %(name)s must be a text of at most %(max)s characters.",
                    name=spec.name,
                    max=MAX_TIME_RANGE_CHARS,
                )
            )
    if not _empty(time_range) and not _empty(value) and time_range != value:
        raise NativeFilterError(_("The values of the filter %(name)s do not agree.", name=spec.name))
    return time_entry(spec, time_range if not _empty(time_range) else value)


def _check_values(spec, values):
    if not isinstance(values, list):
        raise _malformed(spec)
    if len(values) > MAX_VALUES:
        raise NativeFilterError(_("The filter %(name)s takes at most %(max)s values.", name=spec.name, max=MAX_VALUES))
    for value in values:
        if isinstance(value, str):
            if len(value) > MAX_VALUE_CHARS:
                raise NativeFilterError(
                    _(
                        "A value of the filter %(name)s is longer than %(max)s characters.",
                        name=spec.name,
                        max=MAX_VALUE_CHARS,
                    )
                )
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise _malformed(spec)
        elif not isinstance(value, bool | int):
            raise _malformed(spec)
    return list(values)


def _dict_or_empty(value, spec):
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _malformed(spec)
    return value


def _empty(value):
    return value is None or value in ("", [])


def _malformed(spec):
    return NativeFilterError(_("The values sent for the filter %(name)s are not valid.", name=spec.name))


# --- rison ------------------------------------------------------------------------------

_ID = re.compile(r"[A-Za-z_./~][A-Za-z0-9_./~-]*")


def to_rison(value):
    """value (dicts, lists, str, int, float, bool, None) in rison, as the Superset
    frontend's rison.decode reads it."""
    if value is None:
        return "!n"
    if value is True:
        return "!t"
    if value is False:
        return "!f"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return "!n"
        text = repr(value).replace("e+", "e")
        return text[:-2] if text.endswith(".0") else text
    if isinstance(value, str):
        return _rison_string(value)
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise TypeError(f"rison object keys are strings, not {type(key).__name__}")
        return "(" + ",".join(f"{_rison_string(key)}:{to_rison(value[key])}" for key in sorted(value)) + ")"
    if isinstance(value, list | tuple):
        return "!(" + ",".join(to_rison(item) for item in value) + ")"
    raise TypeError(f"{type(value).__name__} has no rison encoding")


def _rison_string(text):
    if _ID.fullmatch(text):
        return text
    return "'" + text.replace("!", "!!").replace("'", "!'") + "'"
