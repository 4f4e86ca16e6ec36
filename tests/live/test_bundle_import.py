"""services/dashboard_bundle.py between two real Superset servers: a dashboard built in
one ("staging", the harness's second Superset, with its own connection, datasets and
uuids on the same tables) is exported, then imported into the main one onto the
datasets the main one already has. Re-importing brings the new version; files that are
not usable bundles and bundles reading outside the target are refused with the reason,
leaving Superset as it was: files smuggled in by path tricks, duplicates, alias bombs,
wrong types and connections to other databases included (the reader's cases without a
server: superset_connector/services/tests/test_bundle_reader.py).

The same, through Odoo (a bundle record, the sync, row-level security per company), is in
tests/e2e/test_analytics_apps.py."""

import io
import json
import uuid
import zipfile

import pytest
import superset_fixtures
import yaml

from odoo.addons.superset_connector.services import dashboard_bundle as bundles
from odoo.addons.superset_connector.services import superset_content
from odoo.addons.superset_connector.services.superset_client import SupersetClient

from devstack import settings

TABLES = {"sales", "regions", "catalog"}


def _client(server):
    user, password = settings.superset_admin()
    return SupersetClient(server.url, user, password, retries=0)


@pytest.fixture(scope="module")
def staging(superset_misconfigured, rls_content):
    """The second Superset's own connection, datasets, charts and dashboards on the RLS tables."""
    client = _client(superset_misconfigured)
    content = superset_fixtures.build_content(
        client,
        rls_content["source_db"],
        settings.db_user(),
        settings.db_password(),
        settings.pg_host(),
        settings.pg_port(),
    )
    return client, content


def _target(main, rls_content, tables=TABLES, schema="public"):
    return bundles.target(main, rls_content["database_id"], schema, tables)


def _counts(client):
    return {
        kind: client.list_all(kind, {"columns": ["id"]})[1] for kind in ("dashboard", "chart", "dataset", "database")
    }


def _export(client, dashboard_id):
    return bundles.read(client.export("dashboard", [dashboard_id]))


def _with_title(bundle, title, slug=None):
    """The bundle's dashboard as another dashboard (own uuid and title), for one test."""
    files = dict(bundle.files)
    for path, dashboard in bundle.of("dashboards").items():
        files[path] = {**dashboard, "uuid": str(uuid.uuid4()), "dashboard_title": title, "slug": slug}
    return bundles.Bundle(files, bundle.root)


def _zip(files):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_a_dashboard_from_another_superset_lands_on_the_datasets_here(superset, rls_content, staging):
    """The staging dashboard (two charts on sales, a native filter on regions) lands in
    the main Superset with its two charts placed once each, on main's own sales and
    regions datasets (no dataset made, none changed), and its charts answer queries."""
    client = _client(superset)
    staging_client, content = staging
    exported = _with_title(_export(staging_client, content["dashboards"]["sales"]), f"Bundle {uuid.uuid4().hex[:6]}")
    assert set(exported.dataset_names) == {"regions", "sales"}
    assert {d["uuid"] for d in exported.of("databases").values()} != {_target(client, rls_content).database["uuid"]}, (
        "the other Superset's connection is another one"
    )
    datasets_before = {d["id"]: d for d in client.list_all("dataset", {"columns": ["id", "table_name", "sql"]})[0]}
    before = _counts(client)

    report = bundles.import_bundle(client, exported, _target(client, rls_content))

    (title,) = exported.titles
    dashboard_id = report.dashboards[title]
    assert report.charts == 2 and "Imported into Superset: " + title + " (2 chart(s))." == bundles.describe(report)
    after = _counts(client)
    assert after == {**before, "dashboard": before["dashboard"] + 1, "chart": before["chart"] + 2}
    assert {d["id"]: d for d in client.list_all("dataset", {"columns": ["id", "table_name", "sql"]})[0]} == (
        datasets_before
    )
    assert [d["id"] for d in client.dashboard_datasets(dashboard_id)] == [rls_content["datasets"]["sales"]]
    metadata = json.loads(client.dashboard(dashboard_id)["json_metadata"])
    targets = metadata["native_filter_configuration"][0]["targets"]
    assert [t["datasetId"] for t in targets] == [rls_content["datasets"]["regions"]]
    charts = client.get_json(f"/api/v1/dashboard/{dashboard_id}/charts")["result"]
    layout = json.loads(client.dashboard(dashboard_id)["position_json"])
    cells = [node["meta"]["chartId"] for node in layout.values() if isinstance(node, dict) and node["type"] == "CHART"]
    assert sorted(cells) == sorted(chart["id"] for chart in charts) and len(cells) == 2
    total = next(chart for chart in charts if chart["slice_name"] == "Sales total")
    body = superset_fixtures.chart_data_body(
        dashboard_id, total["id"], rls_content["datasets"]["sales"], [], [superset_fixtures.SUM_AMOUNT]
    )
    response = client.request("POST", "/api/v1/chart/data", json=body)
    assert response.json()["result"][0]["data"] == [{"Total": sum(map(superset_fixtures.company_total, range(1, 101)))}]


def test_importing_again_brings_the_new_version(superset, rls_content, staging):
    """A chart renamed in the other Superset is renamed here by the second import: the
    same dashboard and charts are updated, nothing is added."""
    client = _client(superset)
    staging_client, content = staging
    title = f"Bundle {uuid.uuid4().hex[:6]}"
    first = _with_title(_export(staging_client, content["dashboards"]["mixed"]), title)
    report = bundles.import_bundle(client, first, _target(client, rls_content))
    before = _counts(client)
    renamed = f"Catalog {uuid.uuid4().hex[:6]}"
    staging_client.request("PUT", f"/api/v1/chart/{content['charts']['catalog']}", json={"slice_name": renamed})
    second = bundles.read(staging_client.export("dashboard", [content["dashboards"]["mixed"]]))
    second = bundles.Bundle(
        {**second.files, **{path: {**d, **_dashboard_identity(first)} for path, d in second.of("dashboards").items()}},
        second.root,
    )

    again = bundles.import_bundle(client, second, _target(client, rls_content))

    assert again.dashboards == report.dashboards and _counts(client) == before
    charts = client.get_json(f"/api/v1/dashboard/{report.dashboards[title]}/charts")["result"]
    assert sorted(chart["slice_name"] for chart in charts) == sorted([renamed, "Sales total"])


def _dashboard_identity(bundle):
    (dashboard,) = bundle.of("dashboards").values()
    return {"uuid": dashboard["uuid"], "dashboard_title": dashboard["dashboard_title"], "slug": None}


def test_a_bundle_reading_outside_the_target_is_refused_and_changes_nothing(superset, rls_content, staging):
    """Datasets in another schema, or on a table not connected here, are refused, each
    named; a slug another dashboard has is refused before Superset is touched."""
    client = _client(superset)
    staging_client, content = staging
    exported = _with_title(_export(staging_client, content["dashboards"]["sales"]), "Refused")
    before = _counts(client)
    with pytest.raises(bundles.BundleError) as wrong_schema:
        bundles.import_bundle(client, exported, _target(client, rls_content, schema="superset_analytics"))
    assert str(wrong_schema.value) == (
        "Dataset regions reads schema public: a dashboard may read only the analytics views (schema "
        "superset_analytics). Dataset sales reads schema public: a dashboard may read only the analytics views "
        "(schema superset_analytics)."
    )
    with pytest.raises(bundles.BundleError, match=r"^Dataset regions reads a view that is not connected") as missing:
        bundles.import_bundle(client, exported, _target(client, rls_content, tables={"sales"}))
    assert "install its app, then click Connect Superset." in str(missing.value)

    slug = f"taken-{uuid.uuid4().hex[:6]}"
    holder = client.post_json("/api/v1/dashboard/", {"dashboard_title": "Slug holder", "slug": slug})["id"]
    with pytest.raises(bundles.BundleError, match=f"Superset's dashboard Slug holder already has the slug {slug}"):
        bundles.import_bundle(client, _with_title(exported, "Clash", slug=slug), _target(client, rls_content))
    client.request("DELETE", f"/api/v1/dashboard/{holder}")
    assert _counts(client) == before


def test_own_sql_datasets_are_reused_when_equal_and_refused_when_not(superset, rls_content, staging):
    """A dataset of SQL from the bundle becomes the one here of the same name and SQL;
    one whose name another dataset here has, with other SQL, is refused."""
    client = _client(superset)
    staging_client, _content = staging
    name = f"bundle_sql_{uuid.uuid4().hex[:6]}"
    sql = "SELECT company_id, amount FROM sales"
    here = client.post_json(
        "/api/v1/dataset/", {"database": rls_content["database_id"], "schema": "public", "table_name": name, "sql": sql}
    )["id"]
    staging_db = staging_client.find("database", "database_name", f"tests {rls_content['source_db']}")["id"]

    def staged(staging_sql):
        dataset = staging_client.post_json(
            "/api/v1/dataset/", {"database": staging_db, "schema": "public", "table_name": name, "sql": staging_sql}
        )["id"]
        chart_id = superset_content.chart(
            staging_client, f"{name} total", dataset, {"viz_type": "big_number_total", "metric": "count"}
        )
        dashboard_id = superset_content.dashboard(
            staging_client, f"{name} board", [[superset_content.Cell(chart_id, "total")]]
        )
        exported = _export(staging_client, dashboard_id)
        for resource, object_id in (("dashboard", dashboard_id), ("chart", chart_id), ("dataset", dataset)):
            staging_client.request("DELETE", f"/api/v1/{resource}/{object_id}")
        return exported

    same = staged("SELECT company_id,\n       amount FROM sales")
    report = bundles.import_bundle(client, same, _target(client, rls_content))
    assert [d["id"] for d in client.dashboard_datasets(report.dashboards[f"{name} board"])] == [here]

    other = staged("SELECT company_id, amount * 2 AS amount FROM sales")
    with pytest.raises(bundles.BundleError, match=f"Dataset {name}: Superset already has another dataset"):
        bundles.retarget(other, _target(client, rls_content))


def _encrypted(data):
    """The ZIP with its files marked as encrypted (the flag Python's zipfile reads; it
    cannot write encrypted files)."""
    data = bytearray(data)
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = data.find(signature)
        while start >= 0:
            data[start + flag_offset] |= 1
            start = data.find(signature, start + 4)
    return bytes(data)


def test_files_that_are_not_dashboard_exports_are_refused(superset, rls_content, staging):
    staging_client, content = staging
    exported = staging_client.export("dashboard", [content["dashboards"]["sales"]])
    with zipfile.ZipFile(io.BytesIO(exported)) as archive:
        names = archive.namelist()
        root = names[0].split("/")[0] + "/"
        flat = {name[len(root) :]: archive.read(name) for name in names}
    cases = {
        _encrypted(_zip({"x/metadata.yaml": "type: Dashboard\n"})): "x/metadata.yaml in the file cannot be read",
        b"not a zip at all": "The file is not a ZIP archive.",
        _zip({"readme.txt": "hello"}): "The file holds no Superset export (no metadata.yaml in its folder).",
        staging_client.export("chart", [content["charts"]["total"]]): "The file is a Superset export of Slice",
        _zip({"x/metadata.yaml": "type: Dashboard\nversion: 1.0.0\n"}): "The file holds no dashboard.",
        _zip({"x/metadata.yaml": "type: Dashboard\n", "x/dashboards/a.yaml": "a: [1"}): "x/dashboards/a.yaml in the",
        _zip(
            {"x/metadata.yaml": "type: Dashboard\nversion: 1.0.0\n", "x/dashboards/a.yaml": "title: x\n"}
        ): "has no uuid",
    }
    for data, message in cases.items():
        with pytest.raises(bundles.BundleError) as refused:
            bundles.read(data)
        assert str(refused.value).startswith(message) or message in str(refused.value), (message, refused.value)
    # The same files zipped again without their folder are the same bundle.
    again = bundles.read(_zip(flat))
    assert again.files == bundles.read(exported).files
    assert yaml.safe_load(zipfile.ZipFile(io.BytesIO(bundles.to_zip(again))).read("bundle/metadata.yaml"))["type"] == (
        "Dashboard"
    )


# --- files made to get past the reader -------------------------------------------------

ELSEWHERE = "203.0.113.7"  # TEST-NET-3: no host answers there


def _unzipped(data):
    """(folder, {path below it: YAML content}) of an export ZIP."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        root = names[0].split("/")[0] + "/"
        return root, {name[len(root) :]: yaml.safe_load(archive.read(name)) for name in names}


def _zipped(root, files, extra=None):
    """An export ZIP of these files (YAML content) in root, plus extra {name in the ZIP: text} as they are."""
    written = {root + path: yaml.safe_dump(content, sort_keys=False) for path, content in files.items()}
    return _zip({**written, **(extra or {})})


def _only(files, kind):
    ((path, content),) = ((p, c) for p, c in files.items() if p.startswith(f"{kind}/"))
    return path, content


def _elsewhere(database):
    """The export's connection made another one, to a database on another host."""
    return {
        **database,
        "uuid": str(uuid.uuid4()),
        "database_name": f"elsewhere {uuid.uuid4().hex[:6]}",
        "sqlalchemy_uri": f"postgresql://postgres:XXXXXXXXXX@{ELSEWHERE}:5432/postgres",
    }


def _databases(client):
    """{id: (uuid, name, sqlalchemy_uri)} of Superset's database connections."""
    listed = client.list_all("database", {"columns": ["id", "uuid", "database_name"]})[0]
    return {
        d["id"]: (
            d["uuid"],
            d["database_name"],
            client.get_json(f"/api/v1/database/{d['id']}/connection")["result"].get("sqlalchemy_uri"),
        )
        for d in listed
    }


def _refused_and_nothing_made(client, rls_content, data, message):
    """Reading (and importing) data is refused with a message starting so; Superset has
    the same dashboards, charts, datasets and connections as before."""
    before, databases = _counts(client), _databases(client)
    with pytest.raises(bundles.BundleError) as refused:
        bundles.import_bundle(client, bundles.read(data), _target(client, rls_content))
    assert str(refused.value).startswith(message), (message, str(refused.value))
    assert _counts(client) == before and _databases(client) == databases


def test_files_smuggled_in_by_path_tricks_are_refused(superset, rls_content, staging):
    """Superset reads <folder>/./databases/x.yaml as databases/x.yaml and <folder>//datasets/...
    as datasets/...: a connection to another database and a dataset of another schema
    smuggled so are refused, named, and nothing reaches Superset."""
    client = _client(superset)
    staging_client, content = staging
    root, files = _unzipped(staging_client.export("dashboard", [content["dashboards"]["sales"]]))
    _path, database = _only(files, "databases")
    evil = _elsewhere(database)
    dataset_path, dataset = sorted((p, c) for p, c in files.items() if p.startswith("datasets/"))[0]
    outside = {**dataset, "uuid": str(uuid.uuid4()), "schema": "pg_catalog", "table_name": "pg_authid"}
    outside["database_uuid"] = evil["uuid"]
    tricks = {
        f"{root}./databases/evil.yaml": yaml.safe_dump(evil),
        f"{root}/{dataset_path.rsplit('/', 1)[0]}/pg_authid.yaml": yaml.safe_dump(outside),
    }
    for name, text in tricks.items():
        _refused_and_nothing_made(
            client, rls_content, _zipped(root, files, {name: text}), f"{name} in the file has a path"
        )
    _refused_and_nothing_made(client, rls_content, _zipped(root, files, tricks), f"{root}./databases/evil.yaml in")


def test_two_files_the_same_to_superset_are_refused(superset, rls_content, staging):
    """A second chart file that Superset would read in place of the first (charts//x.yaml
    is charts/x.yaml to it) is refused with both named."""
    client = _client(superset)
    staging_client, content = staging
    root, files = _unzipped(staging_client.export("dashboard", [content["dashboards"]["sales"]]))
    chart_path = sorted(p for p in files if p.startswith("charts/"))[0]
    twin = f"{root}charts//{chart_path.split('/', 1)[1]}"
    data = _zipped(root, files, {twin: yaml.safe_dump({**files[chart_path], "slice_name": "Twin"})})
    _refused_and_nothing_made(client, rls_content, data, f"{root}{chart_path} and {twin} in the file are the same file")


def test_an_alias_bomb_is_refused(superset, rls_content, staging):
    """A dashboard title made of nested YAML aliases (gigabytes once expanded) is refused
    before it expands, the file named."""
    client = _client(superset)
    staging_client, content = staging
    root, files = _unzipped(staging_client.export("dashboard", [content["dashboards"]["sales"]]))
    dashboard_path, dashboard = _only(files, "dashboards")
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"{n}: &{n} [{', '.join(['*' + p] * 9)}]" for p, n in zip("abcdefgh", "bcdefghi", strict=True)]
    bomb = "\n".join([*lines, f"uuid: {dashboard['uuid']}", "dashboard_title: *i", ""])
    data = _zipped(root, {p: c for p, c in files.items() if p != dashboard_path}, {root + dashboard_path: bomb})
    _refused_and_nothing_made(client, rls_content, data, f"{root}{dashboard_path} in the file uses YAML anchors")


def test_files_of_the_wrong_types_are_refused(superset, rls_content, staging):
    """A layout that is a list, a title that is a list: refused with the file and the key
    named, not an error half-way."""
    client = _client(superset)
    staging_client, content = staging
    root, files = _unzipped(staging_client.export("dashboard", [content["dashboards"]["sales"]]))
    dashboard_path, dashboard = _only(files, "dashboards")
    for key, value in (("position", [1]), ("dashboard_title", ["a", "b"])):
        data = _zipped(root, {**files, dashboard_path: {**dashboard, key: value}})
        _refused_and_nothing_made(client, rls_content, data, f"{root}{dashboard_path} in the file: {key} should be")


def test_connections_to_other_databases_never_reach_superset(superset, rls_content, staging):
    """A connection that is not PostgreSQL is refused, named. A PostgreSQL one to another
    host is taken as a reference only: the dashboard lands on the datasets here, and
    Superset has no connection more, none of that name, uuid or host."""
    client = _client(superset)
    staging_client, content = staging
    root, files = _unzipped(staging_client.export("dashboard", [content["dashboards"]["sales"]]))
    database_path, database = _only(files, "databases")
    for uri, scheme in (("sqlite:////app/superset_home/superset.db", "sqlite"), ("mysql://root@db/mysql", "mysql")):
        data = _zipped(root, {**files, database_path: {**database, "sqlalchemy_uri": uri}})
        _refused_and_nothing_made(
            client,
            rls_content,
            data,
            f"{root}{database_path} in the file is a connection to a database that is not PostgreSQL ({scheme})",
        )

    evil = _elsewhere(database)
    moved = {
        path: {**c, "database_uuid": evil["uuid"]} if path.startswith("datasets/") else c for path, c in files.items()
    }
    bundle = _with_title(bundles.read(_zipped(root, {**moved, database_path: evil})), f"Bundle {uuid.uuid4().hex[:6]}")
    before, databases = _counts(client), _databases(client)

    report = bundles.import_bundle(client, bundle, _target(client, rls_content))

    # One dashboard more, no dataset, no connection; its charts are made or, imported by
    # an earlier test already, updated.
    assert {**_counts(client), "chart": before["chart"]} == {**before, "dashboard": before["dashboard"] + 1}
    after = _databases(client)
    assert after == databases
    assert not any(
        uuid_ == evil["uuid"] or name == evil["database_name"] or ELSEWHERE in (uri or "")
        for uuid_, name, uri in after.values()
    )
    (title,) = bundle.titles
    assert [d["id"] for d in client.dashboard_datasets(report.dashboards[title])] == [rls_content["datasets"]["sales"]]
