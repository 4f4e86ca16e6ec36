"""Dashboard bundles: Superset's dashboard exports (a ZIP of YAML files), moved from one
Superset to another or shipped in an Odoo addon, imported onto this Odoo's analytics views.

An export names the database connection, datasets and uuids of the Superset it came
from. Before Superset imports it, `retarget` makes it read the analytics connection
here:
- every dataset is bound to that connection and schema; one on an analytics view
  becomes the dataset this Superset already has for the view (and an own-SQL dataset
  the same as one here becomes that one), so nothing is made twice or changed;
- a dataset outside the analytics schema, on a view that is not connected here, or an
  own-SQL dataset whose name another dataset here has, is refused with the reason;
- chart cells Superset could not map are dropped from the layout, and the charts'
  stored query context goes (it names the old dataset ids; Superset rebuilds it).
Superset's dashboard import never overwrites charts, so the charts go through its chart
import first: importing a bundle again brings its new version. Datasets are never
overwritten.
"""

import copy
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import yaml

from .analytics_provisioning import list_datasets
from .errors import SupersetError, SupersetNotFound

# Services have no env: `_` marks a message that the models translate (services/text.py).
# pylint: disable=prefer-env-translation
from .text import _, joined

MAX_FILES = 2000
MAX_BYTES = 50 * 1024 * 1024  # uncompressed: a dashboard's YAML is kilobytes
DEFAULT_ROOT = "bundle/"  # Superset reads the files of an export inside one folder
CONTAINERS = ("ROW", "COLUMN")  # layout nodes that mean nothing once empty


class BundleError(ValueError):
    """A file that is not a usable dashboard bundle; args[0] says why, as a Text."""


# --- reading ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Bundle:
    """The files of an export, each parsed: {path below the export's folder: YAML content}."""

    files: dict
    root: str = DEFAULT_ROOT

    def of(self, kind):
        """{path: content} of the files of a kind: dashboards, charts, datasets, databases."""
        return {path: content for path, content in self.files.items() if path.startswith(f"{kind}/")}

    @property
    def titles(self):
        return sorted(str(d.get("dashboard_title") or "") for d in self.of("dashboards").values())

    @property
    def dataset_names(self):
        return sorted(str(d.get("table_name") or "") for d in self.of("datasets").values())


def read(data, kind="Dashboard"):
    """The bundle in these bytes, checked to be a Superset export of that kind."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data or b""))
        infos = [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise BundleError(
            _(
                "The file is not a ZIP archive. In Superset, open the dashboard, choose ⋯ ‣ Download ‣ "
                "Export YAML, and use the ZIP it downloads."
            )
        ) from exc
    if len(infos) > MAX_FILES or sum(info.file_size for info in infos) > MAX_BYTES:
        raise BundleError(
            _(
                "The file is too large for a dashboard export (more than %(files)s files or %(mb)s MB uncompressed).",
                files=MAX_FILES,
                mb=MAX_BYTES // (1024 * 1024),
            )
        )
    root = _root(infos)
    files = {}
    for info in infos:
        path = info.filename[len(root) :]
        if not info.filename.startswith(root) or PurePosixPath(path).suffix not in (".yaml", ".yml"):
            continue
        try:
            raw = archive.read(info)
        except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError) as exc:
            # RuntimeError: encrypted; NotImplementedError: a compression zipfile lacks.
            raise BundleError(
                _("%(file)s in the file cannot be read (damaged, encrypted or compressed oddly).", file=info.filename)
            ) from exc
        try:
            content = yaml.safe_load(raw)
        except yaml.YAMLError as exc:
            raise BundleError(_("%(file)s in the file is not readable YAML.", file=info.filename)) from exc
        if not isinstance(content, dict):
            raise BundleError(_("%(file)s in the file does not describe a Superset object.", file=info.filename))
        files[path] = content
    bundle = Bundle(files, root or DEFAULT_ROOT)
    _check(bundle, kind)
    return bundle


def _root(infos):
    """The folder holding metadata.yaml: Superset's exports have one; a ZIP made again of
    that folder's contents has none."""
    names = [info.filename for info in infos]
    if "metadata.yaml" in names:
        return ""
    roots = [name[: -len("metadata.yaml")] for name in names if re.fullmatch(r"[^/]+/metadata\.yaml", name)]
    if len(roots) != 1:
        raise BundleError(
            _(
                "The file holds no Superset export (no metadata.yaml in its folder). In Superset, open the "
                "dashboard, choose ⋯ ‣ Download ‣ Export YAML, and use the ZIP it downloads as it is."
            )
        )
    return roots[0]


def _check(bundle, kind):
    metadata = bundle.files.get("metadata.yaml", {})
    if metadata.get("type") != kind:
        raise BundleError(
            _(
                "The file is a Superset export of %(found)s, not of dashboards: export dashboards.",
                found=str(metadata.get("type") or "unknown objects"),
            )
        )
    if kind == "Dashboard" and not bundle.of("dashboards"):
        raise BundleError(_("The file holds no dashboard."))
    for kind_ in ("dashboards", "charts", "datasets", "databases"):
        for path, content in bundle.of(kind_).items():
            if not content.get("uuid"):
                raise BundleError(_("%(file)s in the file has no uuid: export it again from Superset.", file=path))


def to_zip(bundle, kind=None):
    """The bundle as a ZIP Superset imports; kind "Slice": its charts only (with their
    datasets and database), for Superset's chart import."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, content in bundle.files.items():
            if kind == "Slice" and path.startswith("dashboards/"):
                continue
            written = {**content, "type": kind} if path == "metadata.yaml" and kind else content
            archive.writestr(bundle.root + path, yaml.safe_dump(written, sort_keys=False, allow_unicode=True))
    return buffer.getvalue()


# --- the Superset it goes to ------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """Where a bundle's datasets must land: the analytics connection (its own export),
    the schema, the views a bundle may read, and the datasets already there
    ({table_name: {uuid, sql, catalog}})."""

    database: dict
    schema: str
    tables: frozenset
    datasets: dict = field(default_factory=dict)

    @property
    def catalog(self):
        return next((d["catalog"] for d in self.datasets.values() if d.get("catalog")), None)


def target(client, database_id, schema, tables):
    """The Target of this Superset's database connection (read through its API)."""
    try:
        exported = client.export("database", [database_id])
    except SupersetNotFound as exc:
        raise BundleError(
            _(
                "Superset no longer has the analytics database connection (id %(id)s): an administrator clicks "
                "Connect Superset again.",
                id=database_id,
            )
        ) from exc
    databases = read(exported, kind="Database").of("databases")
    if len(databases) != 1:
        raise BundleError(_("Superset's export of database connection %(id)s holds no connection.", id=database_id))
    datasets = {
        d["table_name"]: d
        for d in list_datasets(client, database_id, columns=("id", "uuid", "table_name", "schema", "sql", "catalog"))
        if d.get("schema") == schema
    }
    return Target(next(iter(databases.values())), schema, frozenset(tables), datasets)


# --- retargeting ------------------------------------------------------------------------


def retarget(bundle, to):
    """The bundle made to read the target's connection (see the module's docstring);
    BundleError naming every problem when it cannot."""
    problems = []
    uuids = _dataset_uuids(bundle, to, problems)
    files = {
        path: content for path, content in bundle.files.items() if not path.startswith(("datasets/", "databases/"))
    }
    landing = {"database_uuid": to.database["uuid"], "schema": to.schema, "catalog": to.catalog}
    for path, dataset in bundle.of("datasets").items():
        if dataset["uuid"] in uuids:
            files[path] = {**dataset, **landing, "uuid": uuids[dataset["uuid"]]}
    files[f"databases/{_file_name(to.database.get('database_name'))}.yaml"] = to.database
    held = {d["uuid"] for d in bundle.of("datasets").values()}
    for path, chart in bundle.of("charts").items():
        dataset = chart.get("dataset_uuid")
        if dataset in uuids:
            files[path] = {**chart, "dataset_uuid": uuids[dataset], "query_context": None}
        else:
            del files[path]
            if dataset not in held:
                problems.append(_("Chart %(name)s reads a dataset the file does not hold.", name=_name(chart)))
    charts = {files[path]["uuid"] for path in files if path.startswith("charts/")}
    for path, dashboard in bundle.of("dashboards").items():
        files[path] = {
            **dashboard,
            "position": _layout(dashboard.get("position") or {}, charts),
            "metadata": _metadata(dashboard, uuids, held, problems),
        }
    if problems:
        raise BundleError(joined(" ", problems))
    return Bundle(files, bundle.root)


def _dataset_uuids(bundle, to, problems):
    """{uuid in the bundle: uuid here} of every dataset that may land here."""
    uuids = {}
    for _path, dataset in sorted(bundle.of("datasets").items()):
        name, sql = str(dataset.get("table_name") or ""), (dataset.get("sql") or "").strip()
        schema = dataset.get("schema")
        known = to.datasets.get(name)
        if schema and schema != to.schema:
            problems.append(
                _(
                    "Dataset %(name)s reads schema %(schema)s: a dashboard may read only the analytics views "
                    "(schema %(target)s).",
                    name=name,
                    schema=str(schema),
                    target=to.schema,
                )
            )
        elif not sql:
            if name in to.tables and known:
                uuids[dataset["uuid"]] = known["uuid"]
            else:
                problems.append(
                    _(
                        "Dataset %(name)s reads a view that is not connected to Superset here: install its app, "
                        "then click Connect Superset.",
                        name=name,
                    )
                )
        elif not known or known["uuid"] == dataset["uuid"] or _same_sql(known.get("sql"), sql):
            uuids[dataset["uuid"]] = known["uuid"] if known else dataset["uuid"]
        else:
            problems.append(
                _(
                    "Dataset %(name)s: Superset already has another dataset of that name on the analytics "
                    "connection, with other SQL. Rename one of them.",
                    name=name,
                )
            )
    return uuids


def _metadata(dashboard, uuids, held, problems):
    """The dashboard's metadata with its native filters on the datasets here."""
    metadata = copy.deepcopy(dashboard.get("metadata") or {})
    for native_filter in metadata.get("native_filter_configuration") or []:
        for target_ in native_filter.get("targets") or []:
            dataset = target_.get("datasetUuid")
            if dataset in uuids:
                target_["datasetUuid"] = uuids[dataset]
            elif dataset and dataset not in held:
                problems.append(
                    _(
                        "Native filter %(filter)s of %(dashboard)s reads a dataset the file does not hold.",
                        filter=str(native_filter.get("name") or native_filter.get("id")),
                        dashboard=str(dashboard.get("dashboard_title")),
                    )
                )
    return metadata


def _layout(position, charts):
    """The layout without the chart cells Superset cannot map to a chart of the bundle:
    a cell without the chart's uuid (Superset's export adds such charts once more, with
    it, in a row of their own) or for a chart not imported. Rows and columns left empty go too."""
    layout = copy.deepcopy(position)
    dropped = {
        key
        for key, node in layout.items()
        if isinstance(node, dict) and node.get("type") == "CHART" and (node.get("meta") or {}).get("uuid") not in charts
    }
    while dropped:
        for key in dropped:
            del layout[key]
        emptied = set()
        for key, node in layout.items():
            children = node.get("children") if isinstance(node, dict) else None
            if children and dropped & set(children):
                node["children"] = [child for child in children if child not in dropped]
                if not node["children"] and node.get("type") in CONTAINERS:
                    emptied.add(key)
        dropped = emptied
    return layout


def _same_sql(one, other):
    return " ".join((one or "").split()) == " ".join((other or "").split())


def _name(content):
    return str(content.get("slice_name") or content.get("table_name") or content.get("uuid"))


def _file_name(name):
    return re.sub(r"[^\w.-]+", "_", str(name or "database")).strip("_") or "database"


# --- importing --------------------------------------------------------------------------


@dataclass
class ImportReport:
    dashboards: dict = field(default_factory=dict)  # title -> Superset dashboard id
    charts: int = 0


def import_bundle(client, bundle, to):
    """Import the bundle into Superset onto the target: its charts (overwriting their
    earlier version), then its dashboards. Returns an ImportReport."""
    fixed = retarget(bundle, to)
    _check_slugs(client, fixed)
    charts = fixed.of("charts")
    if charts:
        client.import_zip("chart", to_zip(fixed, kind="Slice"))
    client.import_zip("dashboard", to_zip(fixed))
    report = ImportReport(charts=len(charts))
    for dashboard in fixed.of("dashboards").values():
        found = client.find("dashboard", "uuid", dashboard["uuid"], columns=("id",))
        if not found:
            raise SupersetError(
                _(
                    "Superset accepted the file but has no dashboard %(title)s after importing it.",
                    title=str(dashboard.get("dashboard_title")),
                )
            )
        report.dashboards[str(dashboard.get("dashboard_title"))] = found["id"]
    return report


def _check_slugs(client, bundle):
    """A slug is unique in Superset: one held by another dashboard would fail the import
    half-way, with a database error."""
    for dashboard in bundle.of("dashboards").values():
        slug = dashboard.get("slug")
        found = client.find("dashboard", "slug", slug, columns=("id", "uuid", "dashboard_title")) if slug else None
        if found and found.get("uuid") != dashboard["uuid"]:
            raise BundleError(
                _(
                    "Superset's dashboard %(other)s already has the slug %(slug)s of %(title)s: change the slug "
                    "of one of them.",
                    other=str(found.get("dashboard_title")),
                    slug=slug,
                    title=str(dashboard.get("dashboard_title")),
                )
            )


def describe(report):
    """What import_bundle did, in a sentence (a Text)."""
    return _(
        "Imported into Superset: %(titles)s (%(charts)s chart(s)).",
        titles=", ".join(report.dashboards),
        charts=report.charts,
    )
