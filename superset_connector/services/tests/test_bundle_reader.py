"""services/dashboard_bundle.py reading a file, without a server: what Superset's importer
would read differently from us, or what its exports never hold, is refused with the file
named; YAML that would blow up (aliases, deep nesting) is refused before it expands; and
what reaches Superset is written again from the files read, nothing else.

The export built here has the shape of Superset 6.1's dashboard export (its
commands/*/export.py): metadata.yaml, dashboards/, charts/, datasets/<database>/ and
databases/ in one folder; the same against real Superset servers: tests/live/test_bundle_import.py."""

import io
import time
import tracemalloc
import warnings
import zipfile

import pytest
import yaml

from .. import dashboard_bundle as bundles

ROOT = "dashboard_export_20250101T000000/"
DASHBOARD = "dashboards/RLS_sales_1.yaml"
CHART = "charts/Sales_total_2.yaml"
DATASET = "datasets/tests_sc_test_rls/sales.yaml"
DATABASE = "databases/tests_sc_test_rls.yaml"
DASHBOARD_UUID = "6f1f0e4e-96d5-4b0f-9d7e-2b1c9f0a0001"
CHART_UUID = "6f1f0e4e-96d5-4b0f-9d7e-2b1c9f0a0002"
DATASET_UUID = "6f1f0e4e-96d5-4b0f-9d7e-2b1c9f0a0003"
DATABASE_UUID = "6f1f0e4e-96d5-4b0f-9d7e-2b1c9f0a0004"


def _export():
    """{path below the export's folder: content} of a dashboard export as Superset writes it."""
    return {
        "metadata.yaml": {"version": "1.0.0", "type": "Dashboard", "timestamp": "2025-01-01T00:00:00.000000+00:00"},
        DASHBOARD: {
            "dashboard_title": "RLS sales",
            "description": None,
            "css": "",
            "slug": None,
            "certified_by": "",
            "certification_details": "",
            "published": False,
            "uuid": DASHBOARD_UUID,
            "position": {
                "DASHBOARD_VERSION_KEY": "v2",
                "ROOT_ID": {"children": ["GRID_ID"], "id": "ROOT_ID", "type": "ROOT"},
                "GRID_ID": {"children": ["ROW-1"], "id": "GRID_ID", "parents": ["ROOT_ID"], "type": "GRID"},
                "HEADER_ID": {"id": "HEADER_ID", "meta": {"text": "RLS sales"}, "type": "HEADER"},
                "ROW-1": {
                    "children": ["CHART-1"],
                    "id": "ROW-1",
                    "meta": {"0": "ROOT_ID", "background": "BACKGROUND_TRANSPARENT"},
                    "parents": ["ROOT_ID", "GRID_ID"],
                    "type": "ROW",
                },
                "CHART-1": {
                    "children": [],
                    "id": "CHART-1",
                    "meta": {"chartId": 2, "height": 50, "sliceName": "Sales total", "uuid": CHART_UUID, "width": 4},
                    "parents": ["ROOT_ID", "GRID_ID", "ROW-1"],
                    "type": "CHART",
                },
            },
            "metadata": {
                "chart_configuration": {"2": {"id": 2, "crossFilters": {"scope": "global", "chartsInScope": []}}},
                "color_scheme": "",
                "native_filter_configuration": [
                    {
                        "id": "NATIVE_FILTER-region",
                        "name": "Region",
                        "filterType": "filter_select",
                        "targets": [{"column": {"name": "company_id"}, "datasetUuid": DATASET_UUID}],
                        "controlValues": {"enableEmptyFilter": False, "multiSelect": True},
                        "scope": {"rootPath": ["ROOT_ID"], "excluded": []},
                    }
                ],
                "timed_refresh_immune_slices": [],
                "refresh_frequency": 0,
            },
            "theme_uuid": None,
            "version": "1.0.0",
        },
        CHART: {
            "slice_name": "Sales total",
            "description": None,
            "certified_by": None,
            "certification_details": None,
            "viz_type": "big_number_total",
            "params": {
                "viz_type": "big_number_total",
                "metric": {"expressionType": "SIMPLE", "column": {"column_name": "amount"}, "aggregate": "SUM"},
                "adhoc_filters": [],
                "y_axis_format": ",d",
            },
            "query_context": '{"datasource": {"id": 1, "type": "table"}, "queries": []}',
            "cache_timeout": None,
            "uuid": CHART_UUID,
            "version": "1.0.0",
            "dataset_uuid": DATASET_UUID,
        },
        DATASET: {
            "table_name": "sales",
            "main_dttm_col": None,
            "description": None,
            "default_endpoint": None,
            "offset": 0,
            "cache_timeout": None,
            "catalog": None,
            "schema": "public",
            "sql": None,
            "params": None,
            "template_params": None,
            "filter_select_enabled": True,
            "fetch_values_predicate": None,
            "extra": None,
            "normalize_columns": False,
            "always_filter_main_dttm": False,
            "folders": None,
            "uuid": DATASET_UUID,
            "metrics": [
                {
                    "metric_name": "count",
                    "verbose_name": "COUNT(*)",
                    "metric_type": "count",
                    "expression": "COUNT(*)",
                    "description": None,
                    "d3format": None,
                    "currency": None,
                    "extra": {"warning_markdown": ""},
                    "warning_text": None,
                }
            ],
            "columns": [
                {
                    "column_name": name,
                    "verbose_name": None,
                    "is_dttm": False,
                    "is_active": True,
                    "type": kind,
                    "advanced_data_type": None,
                    "groupby": True,
                    "filterable": True,
                    "expression": None,
                    "description": None,
                    "python_date_format": None,
                    "extra": {},
                }
                for name, kind in (("company_id", "INTEGER"), ("amount", "NUMERIC"))
            ],
            "version": "1.0.0",
            "database_uuid": DATABASE_UUID,
        },
        DATABASE: {
            "database_name": "tests sc_test_rls",
            "sqlalchemy_uri": "postgresql://odoo:XXXXXXXXXX@127.0.0.1:5432/sc_test_rls",
            "cache_timeout": None,
            "expose_in_sqllab": True,
            "allow_run_async": False,
            "allow_ctas": False,
            "allow_cvas": False,
            "allow_dml": False,
            "allow_csv_upload": False,
            "extra": {"allows_virtual_table_explore": True},
            "impersonate_user": False,
            "uuid": DATABASE_UUID,
            "version": "1.0.0",
        },
    }


def _files(contents=None, root=ROOT, changed=None):
    """{name in the ZIP: YAML text} of the export (or of contents), with the files of
    changed ({path below the folder: content}) in place of the export's."""
    contents = {**(_export() if contents is None else contents), **(changed or {})}
    return {root + path: yaml.safe_dump(content, sort_keys=False) for path, content in contents.items()}


def _with(path, **values):
    """The export's file at path with some keys changed."""
    return {**_export()[path], **values}


def _zip(files, directories=()):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in directories:
            archive.writestr(zipfile.ZipInfo(name), b"")
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _refused(files, directories=()):
    """The message of the BundleError reading these files raises."""
    with pytest.raises(bundles.BundleError) as refused:
        bundles.read(_zip(files, directories))
    return str(refused.value)


def _replaced(path, text):
    """The export's files with the YAML text of the file at path replaced."""
    return {**_files(), ROOT + path: text}


# --- what reads ------------------------------------------------------------------------


def test_an_export_as_superset_writes_it_reads():
    """Every file is read, below its folder, with its content as written."""
    bundle = bundles.read(_zip(_files()))
    assert bundle.root == ROOT
    assert bundle.files == _export()
    assert bundle.titles == ["RLS sales"] and bundle.dataset_names == ["sales"]
    assert list(bundle.of("charts")) == [CHART] and list(bundle.of("databases")) == [DATABASE]


def test_the_files_zipped_again_without_their_folder_read_the_same():
    """A ZIP with metadata.yaml at the top (the export's folder zipped again) is the same bundle."""
    bundle = bundles.read(_zip(_files(root="")))
    assert bundle.files == _export() and bundle.root == bundles.DEFAULT_ROOT


def test_folder_entries_are_fine():
    """Folder entries (as zip tools add them) are left out."""
    folders = [ROOT, ROOT + "dashboards/", ROOT + "datasets/", ROOT + "datasets/tests_sc_test_rls/"]
    assert bundles.read(_zip(_files(), folders)).files == _export()


def test_yml_files_and_datasets_without_a_database_folder_read():
    """.yml is read as .yaml; a dataset may sit in datasets/ itself."""
    contents = _export()
    contents["datasets/sales.yml"] = contents.pop(DATASET)
    assert set(bundles.read(_zip(_files(contents))).of("datasets")) == {"datasets/sales.yml"}


def test_what_goes_to_superset_is_the_files_read_written_again():
    """to_zip writes exactly the files read, under one plain folder, each its parsed
    content; for the chart import, without the dashboards and as a Slice export."""
    bundle = bundles.read(_zip(_files(), [ROOT, ROOT + "charts/"]))
    with zipfile.ZipFile(io.BytesIO(bundles.to_zip(bundle))) as archive:
        assert sorted(archive.namelist()) == sorted(ROOT + path for path in _export())
        assert {name[len(ROOT) :]: yaml.safe_load(archive.read(name)) for name in archive.namelist()} == _export()
    with zipfile.ZipFile(io.BytesIO(bundles.to_zip(bundle, kind="Slice"))) as archive:
        assert ROOT + DASHBOARD not in archive.namelist()
        assert yaml.safe_load(archive.read(ROOT + "metadata.yaml"))["type"] == "Slice"


def test_what_retarget_sends_holds_the_target_connection_only():
    """After retarget, the ZIP holds the target's connection and not the bundle's: the
    bundle's database (another host, here) never reaches Superset."""
    contents = _export()
    contents[DATABASE] = {**contents[DATABASE], "sqlalchemy_uri": "postgresql://x:XXXXXXXXXX@10.0.0.9:5432/other"}
    here = {
        "database_name": "Odoo analytics",
        "sqlalchemy_uri": "postgresql+psycopg2://reader:XXXXXXXXXX@127.0.0.1:5432/odoo",
        "uuid": "0d00a1a1-0000-4000-8000-000000000001",
        "version": "1.0.0",
    }
    to = bundles.Target(
        here, "public", frozenset({"sales"}), {"sales": {"uuid": "0d00a1a1-0000-4000-8000-00000000000a"}}
    )
    fixed = bundles.retarget(bundles.read(_zip(_files(contents))), to)
    with zipfile.ZipFile(io.BytesIO(bundles.to_zip(fixed))) as archive:
        written = {name: archive.read(name).decode() for name in archive.namelist()}
    assert sorted(written) == sorted(
        ROOT + path for path in ("metadata.yaml", DASHBOARD, CHART, DATASET, "databases/Odoo_analytics.yaml")
    )
    assert not any("10.0.0.9" in text or DATABASE_UUID in text for text in written.values())
    assert yaml.safe_load(written[ROOT + DATASET])["database_uuid"] == here["uuid"]


@pytest.mark.parametrize("compression", [zipfile.ZIP_DEFLATED, zipfile.ZIP_LZMA, zipfile.ZIP_BZIP2])
def test_a_damaged_file_in_the_zip_is_refused(compression):
    """Damaged compressed data (zlib, LZMA or bzip2 errors) is "cannot be read", named."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, text in _files().items():
            archive.writestr(name, text * 3)
    data = bytearray(buffer.getvalue())
    start = 30 + len(ROOT + "metadata.yaml") + 10  # inside the first file's compressed data
    data[start : start + 20] = bytes(byte ^ 0x55 for byte in data[start : start + 20])
    with pytest.raises(bundles.BundleError, match=rf"^{ROOT}metadata.yaml in the file cannot be read"):
        bundles.read(bytes(data))


# --- paths -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content"),
    [
        (f"{ROOT}./databases/evil.yaml", DATABASE),  # Superset: databases/evil.yaml
        (f"{ROOT}/datasets/evil.yaml", DATASET),  # <folder>//datasets/...: datasets/evil.yaml
        (f"{ROOT}charts/./x.yaml", CHART),
        (f"./{ROOT}charts/x.yaml", CHART),
        (f"{ROOT}../x.yaml", DATABASE),
        (f"{ROOT}charts/../../x.yaml", CHART),
        ("/etc/x.yaml", DATABASE),
        (f"/{ROOT}charts/x.yaml", CHART),
        (f"{ROOT}charts\\x.yaml", CHART),
        (f"{ROOT}charts\\..\\..\\x.yaml", CHART),
    ],
)
def test_paths_superset_reads_otherwise_are_refused(name, content):
    """A path that is absolute, climbs, has a backslash, a . or an empty part is refused,
    named, whatever it holds: Superset would read it as another file than it looks."""
    message = _refused({**_files(), name: yaml.safe_dump(_export()[content])})
    assert message.startswith(f"{name} in the file has a path"), message


def test_an_empty_name_is_refused():
    """A file without a name (zipfile reads a name starting with NUL as empty) is refused."""
    data = _zip({**_files(), "@@@@.yaml": "a: 1\n"}).replace(b"@@@@.yaml", b"\0@@@.yaml")
    with pytest.raises(bundles.BundleError, match=r"^'' in the file has a path Superset's exports never have"):
        bundles.read(data)


@pytest.mark.parametrize("name", ["other/x.yaml", "metadata2.yaml", "x.yaml"])
def test_files_outside_the_export_folder_are_refused(name):
    """Superset would read a file of another folder as one of the export's: refused, named."""
    message = _refused({**_files(), name: yaml.safe_dump(_export()[DATABASE])})
    assert message == f"{name} in the file is outside the export's folder {ROOT}: use the ZIP Superset exports."


@pytest.mark.parametrize(
    "path",
    [
        "notes.txt",
        "charts/x/y/z.yaml",
        "charts/x/z.yaml",
        "datasets/a/b/c.yaml",
        "charts/.hidden.yaml",
        "charts/_x.yaml",
        "dashboards/.yaml",
        "charts/x.YAML",
        "charts/x.json",
        "tags.yaml",
        "themes/theme.yaml",
        "metadata.yml",
        "README",
        "dashboards",
        "Dashboards/x.yaml",
        "datasets/x.yaml/y",
    ],
)
def test_files_an_export_never_holds_are_refused(path):
    """Only metadata.yaml and the YAML files of dashboards/, charts/, datasets/ (one folder
    deep at most) and databases/ are read; anything else is refused, named, never sent."""
    message = _refused({**_files(), ROOT + path: yaml.safe_dump(_export()[CHART])})
    assert message.startswith(f"{ROOT}{path} in the file is not part of a Superset dashboard export"), message


def test_two_files_the_same_to_superset_are_refused():
    """Superset reads the files into a dict by normalised path: of two that are the same
    there, it would keep the last. Refused, both named."""
    evil = yaml.safe_dump(_with(CHART, slice_name="Evil"))
    message = _refused({**_files(), f"{ROOT}charts//Sales_total_2.yaml": evil})
    assert message.startswith(
        f"{ROOT}{CHART} and {ROOT}charts//Sales_total_2.yaml in the file are the same file to Superset"
    ), message
    assert f"({ROOT}{CHART})" in message


def test_a_name_twice_in_the_zip_is_refused():
    """A ZIP may hold two files of the same name: refused, not the last one taken."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile: "Duplicate name"
        for name, text in _files().items():
            archive.writestr(name, text)
        archive.writestr(ROOT + DASHBOARD, yaml.safe_dump(_with(DASHBOARD, dashboard_title="Second")))
    with pytest.raises(bundles.BundleError, match="are the same file to Superset"):
        bundles.read(buffer.getvalue())


def test_a_folder_entry_with_contents_is_refused():
    """Superset reads a folder entry's contents as a file (dashboards/x.yaml/ is dashboards/x.yaml)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in _files().items():
            archive.writestr(name, text)
        archive.writestr(f"{ROOT}dashboards/x.yaml/", yaml.safe_dump(_export()[DASHBOARD]))
    with pytest.raises(bundles.BundleError, match=rf"^{ROOT}dashboards/x.yaml/ in the file has a path"):
        bundles.read(buffer.getvalue())


def test_to_zip_writes_no_path_an_export_never_has():
    """A Bundle made by hand (not by read) with another path is refused by to_zip, and an
    odd folder name is not used."""
    with pytest.raises(bundles.BundleError, match="not part of a Superset dashboard export"):
        bundles.to_zip(bundles.Bundle({**_export(), "../databases/x.yaml": _export()[DATABASE]}))
    with zipfile.ZipFile(io.BytesIO(bundles.to_zip(bundles.Bundle(_export(), root="../")))) as archive:
        assert all(name.startswith(bundles.DEFAULT_ROOT) for name in archive.namelist())


# --- YAML ------------------------------------------------------------------------------


def _alias_bomb():
    """A few hundred bytes whose title expands to 9^9 strings (gigabytes once printed)."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [{', '.join(['*' + previous] * 9)}]")
    lines += [f"uuid: {DASHBOARD_UUID}", "dashboard_title: *i", ""]
    return "\n".join(lines)


def test_an_alias_bomb_is_refused_at_once():
    """Refused before anything expands: in well under a second, with little memory."""
    data = _zip(_replaced(DASHBOARD, _alias_bomb()))
    assert len(_alias_bomb()) < 1000
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(bundles.BundleError) as refused:
            bundles.read(data)
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(refused.value).startswith(f"{ROOT}{DASHBOARD} in the file uses YAML anchors or aliases")
    assert elapsed < 1, elapsed
    assert peak < 20 * 1024 * 1024, peak


@pytest.mark.parametrize(
    "text",
    [
        f"uuid: {DASHBOARD_UUID}\ndashboard_title: &title RLS sales\n",  # an anchor, never used
        f"uuid: {DASHBOARD_UUID}\ndashboard_title: RLS sales\nbase: &b {{a: 1}}\nmetadata:\n  <<: *b\n",
        f"uuid: &u {DASHBOARD_UUID}\ndashboard_title: RLS sales\n",
    ],
)
def test_anchors_are_refused_even_without_a_bomb(text):
    """Superset's exports never use anchors (& and *, merge keys included): refused."""
    assert _refused(_replaced(DASHBOARD, text)).startswith(f"{ROOT}{DASHBOARD} in the file uses YAML anchors")


def test_deep_nesting_is_refused():
    """Nesting deeper than MAX_DEPTH is refused, without the parser running out of stack."""
    for depth in (bundles.MAX_DEPTH + 1, 100_000):
        text = f"uuid: {DASHBOARD_UUID}\ndashboard_title: x\nmetadata: {{a: {'[' * depth}{']' * depth}}}\n"
        message = _refused(_replaced(DASHBOARD, text))
        assert message.startswith(f"{ROOT}{DASHBOARD} in the file nests more than 64 levels deep"), message


@pytest.mark.parametrize("key", ["1", "true", "null", "2024-01-01", "1.5"])
def test_keys_that_are_not_texts_are_refused(key):
    """Superset's exports have text keys only (JSON's): a number, boolean, null or date key is refused."""
    text = yaml.safe_dump(_export()[DASHBOARD]) + f"{key}: x\n"
    assert f"{ROOT}{DASHBOARD} in the file has a key that is not a text" in _refused(_replaced(DASHBOARD, text))


@pytest.mark.parametrize(
    ("value", "found"),
    [("!!binary aGVsbG8=", "bytes, at x"), ("!!set {a: null}", "set, at x"), ("!!omap [a: 1]", "tuple, at x[0]")],
)
def test_values_superset_never_exports_are_refused(value, found):
    """Binary, sets and pairs are YAML that safe_load makes but Superset never exports."""
    text = yaml.safe_dump(_export()[DASHBOARD]) + f"x: {value}\n"
    message = _refused(_replaced(DASHBOARD, text))
    assert message == f"{ROOT}{DASHBOARD} in the file holds a value of a type Superset does not export ({found})."


@pytest.mark.parametrize(
    "text",
    [
        "a: [1",
        "a: !!python/object/apply:os.system [echo]\n",
        f"a: {'1' * 5000}\n",
        "a: 2024-13-45\n",
        "a: 1\n---\nb: 2\n",
    ],
)
def test_yaml_that_cannot_be_read_safely_is_refused(text):
    """Broken YAML, Python tags, overlong numbers, impossible dates, several documents:
    all "not readable YAML", never another error."""
    assert _refused(_replaced(DASHBOARD, text)) == f"{ROOT}{DASHBOARD} in the file is not readable YAML."


def test_a_file_that_is_not_a_mapping_is_refused():
    """Each file describes one Superset object: a mapping."""
    assert _refused(_replaced(CHART, "- 1\n- 2\n")) == f"{ROOT}{CHART} in the file does not describe a Superset object."


# --- types -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "key", "value", "field"),
    [
        ("metadata.yaml", "version", 1.0, "version"),
        ("metadata.yaml", "type", ["Dashboard"], "type"),
        (DASHBOARD, "position", [1], "position"),
        (DASHBOARD, "position", {"ROOT_ID": 1}, "position"),
        (DASHBOARD, "position", {"ROW-1": {"children": [{"a": 1}]}}, "position.ROW-1.children"),
        (DASHBOARD, "position", {"ROW-1": {"children": "CHART-1"}}, "position.ROW-1.children"),
        (DASHBOARD, "position", {"CHART-1": {"meta": ["x"]}}, "position.CHART-1.meta"),
        (DASHBOARD, "position", {"CHART-1": {"meta": {"uuid": [CHART_UUID]}}}, "position.CHART-1.meta.uuid"),
        (DASHBOARD, "dashboard_title", ["a", "b"], "dashboard_title"),
        (DASHBOARD, "dashboard_title", {"a": "b"}, "dashboard_title"),
        (DASHBOARD, "dashboard_title", 2025, "dashboard_title"),
        (DASHBOARD, "uuid", [DASHBOARD_UUID], "uuid"),
        (DASHBOARD, "slug", ["x"], "slug"),
        (DASHBOARD, "metadata", [1], "metadata"),
        (DASHBOARD, "metadata", {"native_filter_configuration": {"a": 1}}, "metadata.native_filter_configuration"),
        (
            DASHBOARD,
            "metadata",
            {"native_filter_configuration": [{"targets": [{"datasetUuid": [DATASET_UUID]}]}]},
            "metadata.native_filter_configuration[0].targets[0].datasetUuid",
        ),
        (DASHBOARD, "published", "yes", "published"),
        (CHART, "slice_name", ["Sales"], "slice_name"),
        (CHART, "viz_type", 1, "viz_type"),
        (CHART, "dataset_uuid", {"a": 1}, "dataset_uuid"),
        (CHART, "params", [1], "params"),
        (CHART, "query_context", {"a": 1}, "query_context"),
        (CHART, "cache_timeout", True, "cache_timeout"),
        (DATASET, "table_name", ["sales"], "table_name"),
        (DATASET, "schema", ["public"], "schema"),
        (DATASET, "sql", {"a": 1}, "sql"),
        (DATASET, "database_uuid", 1, "database_uuid"),
        (DATASET, "columns", "amount", "columns"),
        (DATASET, "columns", [1], "columns"),
        (DATASET, "columns", [{"column_name": ["amount"]}], "columns[0].column_name"),
        (DATASET, "metrics", [{"metric_name": "count", "expression": ["COUNT(*)"]}], "metrics[0].expression"),
        (DATABASE, "sqlalchemy_uri", ["postgresql://x"], "sqlalchemy_uri"),
        (DATABASE, "database_name", {"a": 1}, "database_name"),
    ],
)
def test_a_file_of_the_wrong_types_is_refused_naming_it(path, key, value, field):
    """Each kind of file holds the types Superset exports: anything else is refused with
    the file and the key named (never an AttributeError later)."""
    message = _refused(_files(changed={path: _with(path, **{key: value})}))
    assert message.startswith(f"{ROOT}{path} in the file: {field} should be "), message
    assert message.endswith(", as in Superset's exports."), message


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("metadata.yaml", "version"),
        (DASHBOARD, "uuid"),
        (DASHBOARD, "dashboard_title"),
        (CHART, "slice_name"),
        (CHART, "viz_type"),
        (DATASET, "table_name"),
        (DATASET, "database_uuid"),
        (DATABASE, "sqlalchemy_uri"),
    ],
)
def test_a_file_without_a_key_superset_needs_is_refused(path, key):
    """A file without what Superset requires of it is refused, naming the file and key."""
    content = {k: v for k, v in _export()[path].items() if k != key}
    message = _refused(_files(changed={path: content}))
    assert message == f"{ROOT}{path} in the file has no {key}: export it again from Superset.", message


def test_json_fields_superset_could_not_parse_are_accepted():
    """Superset exports a JSON field it cannot parse as the text it is (or nothing)."""
    contents = _export()
    contents[CHART] = {**contents[CHART], "params": "not json"}
    contents[DATASET] = {**contents[DATASET], "params": '{"a": 1}', "extra": None}
    assert bundles.read(_zip(_files(contents))).files == contents


def test_two_files_with_the_same_uuid_are_refused():
    """Superset would import two charts of one uuid as one: refused, both named."""
    message = _refused({**_files(), f"{ROOT}charts/Copy_3.yaml": yaml.safe_dump(_with(CHART, slice_name="Copy"))})
    assert message.startswith(f"{ROOT}charts/Copy_3.yaml and {ROOT}{CHART} in the file have the same uuid"), message


def test_import_bundle_checks_a_bundle_not_made_by_read():
    """A Bundle made by hand is checked as read checks it, before Superset is asked anything."""
    files = {**_export(), DASHBOARD: {**_export()[DASHBOARD], "position": [1]}}
    with pytest.raises(bundles.BundleError, match="position should be a mapping of mappings or texts"):
        bundles.import_bundle(None, bundles.Bundle(files, ROOT), None)


# --- database connections --------------------------------------------------------------


@pytest.mark.parametrize(
    ("uri", "scheme"),
    [
        ("sqlite:////var/lib/superset/superset.db", "sqlite"),
        ("mysql://root:XXXXXXXXXX@10.0.0.5/mysql", "mysql"),
        ("shillelagh://", "shillelagh"),
        ("postgresql+asyncpg://u@10.0.0.5/x", "postgresql+asyncpg"),
        ("POSTGRESQL://u@10.0.0.5/x", "POSTGRESQL"),
        (" postgresql://u@10.0.0.5/x", " postgresql"),
        ("", "?"),
    ],
)
def test_a_connection_that_is_not_postgresql_is_refused(uri, scheme):
    """A bundle may read only the Odoo analytics views: a connection of another engine is
    refused, the file named (the URI itself is not shown: it may hold a password)."""
    contents = _export()
    contents[DATABASE] = {**contents[DATABASE], "sqlalchemy_uri": uri}
    message = _refused(_files(contents))
    if not uri:
        assert message == f"{ROOT}{DATABASE} in the file has no sqlalchemy_uri: export it again from Superset."
        return
    assert message == (
        f"{ROOT}{DATABASE} in the file is a connection to a database that is not PostgreSQL ({scheme}): a dashboard "
        "bundle may read only the Odoo analytics views."
    )


@pytest.mark.parametrize(
    "uri", ["postgresql://u:XXXXXXXXXX@10.0.0.9:5432/x", "postgresql+psycopg2://u@h/x", "postgres://u@h/x"]
)
def test_a_postgresql_connection_elsewhere_is_read_as_a_reference(uri):
    """A PostgreSQL connection, to any host, is read (retarget replaces it; see above)."""
    contents = _export()
    contents[DATABASE] = {**contents[DATABASE], "sqlalchemy_uri": uri}
    assert bundles.read(_zip(_files(contents))).of("databases")[DATABASE]["sqlalchemy_uri"] == uri


def test_a_connection_no_dataset_uses_is_refused():
    """A connection none of the bundle's datasets uses has no business in it: refused, named."""
    extra = {**_export()[DATABASE], "uuid": "6f1f0e4e-96d5-4b0f-9d7e-2b1c9f0a0099", "database_name": "other"}
    message = _refused({**_files(), f"{ROOT}databases/other.yaml": yaml.safe_dump(extra)})
    assert message == (
        f"{ROOT}databases/other.yaml in the file is a database connection that no dataset of the file uses: remove it."
    )


def test_a_connection_export_keeps_its_datasets_optional():
    """Superset's export of a connection (read by target) may hold no dataset using it."""
    contents = {"metadata.yaml": {"version": "1.0.0", "type": "Database"}, DATABASE: _export()[DATABASE]}
    assert list(bundles.read(_zip(_files(contents)), kind="Database").of("databases")) == [DATABASE]
