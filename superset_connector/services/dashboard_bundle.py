"""Dashboard bundles: Superset's dashboard exports (a ZIP of YAML files), moved from one
Superset to another or shipped in an Odoo addon, imported onto this Odoo's analytics views.

A bundle is read as Superset's importer reads it, and whatever it would read differently
or that an export never holds is refused, naming the file in the ZIP:
- paths: Superset drops the first folder and normalises the rest (`x/./databases/a.yaml`
  is `databases/a.yaml` to it, of two files the same to it the last wins). A path that is
  absolute, climbs (`..`), has a backslash, `.` or an empty part, two files that are the
  same after normalising, a file outside the folder holding metadata.yaml, and anything
  but metadata.yaml and the YAML files of dashboards/, charts/, datasets/ (one folder
  deep at most) and databases/ are refused;
- YAML: anchors and aliases are refused before anything expands (a few hundred bytes of
  aliases make gigabytes), so is nesting deeper than MAX_DEPTH, a key that is not a
  text, and a value of a type Superset does not export (binary, sets, pairs);
- each file is checked to hold the types Superset exports (a title is a text, a layout a
  mapping, ...), and a database connection must be PostgreSQL and used by a dataset of
  the bundle. Connections of a bundle are never sent: `retarget` puts the analytics
  connection here in their place.
The ZIP sent to Superset is written again from the files so read (`to_zip`): nothing of
the file uploaded reaches Superset but what was read and checked.

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
import datetime
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
MAX_DEPTH = 64  # nesting of a file's YAML: Superset's exports nest about ten deep
MAX_NUMBER = 100  # characters of a YAML number: longer ones cost seconds to convert
DEFAULT_ROOT = "bundle/"  # Superset reads the files of an export inside one folder
CONTAINERS = ("ROW", "COLUMN")  # layout nodes that mean nothing once empty
KINDS = ("dashboards", "charts", "datasets", "databases")
POSTGRESQL = ("postgresql://", "postgresql+psycopg2://", "postgres://")

# The files of an export, below its folder. A name starting with "." or "_" is one
# Superset skips: refused here rather than kept.
_PART = r"[^/\\._][^/\\]*"
_YAML = rf"{_PART}\.ya?ml"
MEMBER = re.compile(rf"metadata\.yaml|(?:dashboards|charts|datasets|databases)/{_YAML}|datasets/{_PART}/{_YAML}")
ZIP_ROOT = re.compile(r"[^/\\]+/")  # the folder to_zip writes the files in


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
    """The bundle in these bytes, checked to be a Superset export of that kind (see the
    module's docstring); BundleError naming the first problem."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data or b""))
        infos = archive.infolist()
    except Exception as exc:  # BadZipFile, OSError, ValueError (a name not UTF-8), EOFError, ...
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
    members = _members(infos)
    root = _root(members)
    paths = {name: _below(root, name) for name in members}
    files, names = {}, {}
    for name, info in members.items():
        path = paths[name]
        try:
            raw = archive.read(info)
        except Exception as exc:
            # BadZipFile (a wrong CRC), zlib.error or LZMAError (damaged), RuntimeError
            # (encrypted), NotImplementedError (a compression zipfile lacks), ...
            raise BundleError(
                _("%(file)s in the file cannot be read (damaged, encrypted or compressed oddly).", file=name)
            ) from exc
        content = _parse(raw, name)
        if not isinstance(content, dict):
            raise BundleError(_("%(file)s in the file does not describe a Superset object.", file=name))
        files[path], names[path] = content, name
    bundle = Bundle(files, root or DEFAULT_ROOT)
    _check(bundle, kind, names)
    return bundle


def _members(infos):
    """{name: info} of the files in the ZIP, each name as Superset reads it: refused when
    it is not plainly one path (absolute, `..`, a backslash, `.` or an empty part) or when
    two are the same path to Superset. Empty folder entries are left out (Superset reads
    a folder entry's contents as a file: one with contents is refused)."""
    members = {}
    for info in infos:
        name = info.filename
        if name and info.is_dir() and not info.file_size:
            continue
        parts = name.split("/")
        if not name or "\\" in name or name.startswith("/") or ".." in parts or info.is_dir():
            raise BundleError(
                _(
                    "%(file)s in the file has a path Superset's exports never have (absolute, with .. or a "
                    "backslash, or a folder with contents): use the ZIP Superset exports.",
                    file=_shown(name),
                )
            )
        normal = str(PurePosixPath(name))
        if normal in members:
            raise BundleError(
                _(
                    "%(file)s and %(other)s in the file are the same file to Superset (%(path)s), which would "
                    "read only one of them: keep one.",
                    file=_shown(members[normal].filename),
                    other=_shown(name),
                    path=normal,
                )
            )
        members[normal] = info
    for normal, info in members.items():
        if normal != info.filename or "." in normal.split("/"):
            raise BundleError(
                _(
                    "%(file)s in the file has a path with . or an empty part, which Superset reads as %(path)s: "
                    "use the ZIP Superset exports.",
                    file=_shown(info.filename),
                    path=normal,
                )
            )
    return members


def _shown(name):
    return name if name.strip() else repr(name)


def _root(names):
    """The folder holding metadata.yaml: Superset's exports have one; a ZIP made again of
    that folder's contents has none."""
    if "metadata.yaml" in names:
        return ""
    roots = [name[: -len("metadata.yaml")] for name in names if re.fullmatch(r"[^/]+/metadata\.yaml", name)]
    if len(roots) != 1:
        raise _no_export()
    return roots[0]


def _no_export():
    return BundleError(
        _(
            "The file holds no Superset export (no metadata.yaml in its folder). In Superset, open the "
            "dashboard, choose ⋯ ‣ Download ‣ Export YAML, and use the ZIP it downloads as it is."
        )
    )


def _below(root, name):
    """The path of the file below the export's folder, if it is a file an export holds."""
    if not name.startswith(root):
        raise BundleError(
            _(
                "%(file)s in the file is outside the export's folder %(root)s: use the ZIP Superset exports.",
                file=name,
                root=root,
            )
        )
    path = name[len(root) :]
    if not MEMBER.fullmatch(path):
        raise BundleError(_unexpected(name))
    return path


def _unexpected(name):
    return _(
        "%(file)s in the file is not part of a Superset dashboard export (only metadata.yaml and the YAML files "
        "of dashboards/, charts/, datasets/ and databases/ are): remove it.",
        file=name,
    )


class _Loader(yaml.SafeLoader):
    """YAML as Superset exports it, refused before anything expands when it holds anchors
    or aliases (an alias bomb), nests deeper than MAX_DEPTH or has overlong numbers."""

    def __init__(self, stream, name):
        super().__init__(stream)
        self.name = name
        self.depth = 0

    def compose_node(self, parent, index):
        if getattr(self.peek_event(), "anchor", None) is not None:  # &anchor or *alias
            raise BundleError(
                _(
                    "%(file)s in the file uses YAML anchors or aliases (& and *), which Superset's exports never "
                    "do: export it again from Superset.",
                    file=self.name,
                )
            )
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise BundleError(
                    _(
                        "%(file)s in the file nests more than %(depth)s levels deep, which Superset's exports never "
                        "do: export it again from Superset.",
                        file=self.name,
                        depth=MAX_DEPTH,
                    )
                )
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_yaml_int(self, node):
        self._check_number(node)
        return super().construct_yaml_int(node)

    def construct_yaml_float(self, node):
        self._check_number(node)
        return super().construct_yaml_float(node)

    def _check_number(self, node):
        if len(str(node.value)) > MAX_NUMBER:
            raise yaml.constructor.ConstructorError(None, None, "number too long", node.start_mark)


_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)
_Loader.add_constructor("tag:yaml.org,2002:float", _Loader.construct_yaml_float)


def _parse(raw, name):
    """The YAML content of one file of the ZIP."""
    loader = _Loader(raw, name)
    try:
        return loader.get_single_data()
    except BundleError:  # a ValueError: refused by _Loader, saying why
        raise
    except (yaml.YAMLError, ValueError, OverflowError, RecursionError) as exc:
        raise BundleError(_("%(file)s in the file is not readable YAML.", file=name)) from exc
    finally:
        loader.dispose()


# --- checking ---------------------------------------------------------------------------

# What each file must hold: {key: (accepts(value), what it must be)}; REQUIRED: the keys
# it cannot lack. Keys not named here may hold any plain YAML (_check_plain).


def _text(value):
    return isinstance(value, str)


def _flag(value):
    return value is None or isinstance(value, bool)


def _whole(value):
    return value is None or (isinstance(value, int) and not isinstance(value, bool))


def _mapping(value):
    return isinstance(value, dict)


def _optional_text(value):
    return value is None or isinstance(value, str)


def _json(value):
    """A JSON field: Superset exports it parsed (a mapping) or, when it cannot, as it is."""
    return value is None or isinstance(value, (dict, str))


def _texts(value):
    return value is None or (isinstance(value, list) and all(isinstance(item, str) for item in value))


def _mappings(value):
    return value is None or (isinstance(value, list) and all(isinstance(item, dict) for item in value))


def _optional_mapping(value):
    return value is None or isinstance(value, dict)


def _layout_of_nodes(value):
    return isinstance(value, dict) and all(isinstance(node, (dict, str)) for node in value.values())


TEXT = (_text, _("a text"))
OPTIONAL_TEXT = (_optional_text, _("a text or nothing"))
FLAG = (_flag, _("true, false or nothing"))
WHOLE = (_whole, _("a whole number or nothing"))
MAPPING = (_mapping, _("a mapping"))
OPTIONAL_MAPPING = (_optional_mapping, _("a mapping or nothing"))
JSON = (_json, _("a mapping, a text or nothing"))
TEXTS = (_texts, _("a list of texts or nothing"))
MAPPINGS = (_mappings, _("a list of mappings or nothing"))
LAYOUT = (_layout_of_nodes, _("a mapping of mappings or texts"))

_DESCRIBED = dict.fromkeys(("description", "certified_by", "certification_details", "external_url"), OPTIONAL_TEXT)
FIELDS = {
    "metadata": {"version": TEXT, "type": TEXT},
    "dashboards": {
        "uuid": TEXT,
        "dashboard_title": TEXT,
        "slug": OPTIONAL_TEXT,
        "css": OPTIONAL_TEXT,
        "position": LAYOUT,
        "metadata": MAPPING,
        "published": FLAG,
        "is_managed_externally": FLAG,
        "theme_uuid": OPTIONAL_TEXT,
        "tags": TEXTS,
        "version": TEXT,
        **_DESCRIBED,
    },
    "charts": {
        "uuid": TEXT,
        "slice_name": TEXT,
        "viz_type": TEXT,
        "dataset_uuid": TEXT,  # a chart without one is refused by retarget, saying so
        "params": JSON,
        "query_context": OPTIONAL_TEXT,
        "cache_timeout": WHOLE,
        "is_managed_externally": FLAG,
        "tags": TEXTS,
        "version": TEXT,
        **_DESCRIBED,
    },
    "datasets": {
        "uuid": TEXT,
        "table_name": TEXT,
        "database_uuid": TEXT,
        "schema": OPTIONAL_TEXT,
        "catalog": OPTIONAL_TEXT,
        "sql": OPTIONAL_TEXT,
        "columns": MAPPINGS,
        "metrics": MAPPINGS,
        "main_dttm_col": OPTIONAL_TEXT,
        "currency_code_column": OPTIONAL_TEXT,
        "default_endpoint": OPTIONAL_TEXT,
        "fetch_values_predicate": OPTIONAL_TEXT,
        "params": JSON,
        "template_params": JSON,
        "extra": JSON,
        "offset": WHOLE,
        "cache_timeout": WHOLE,
        "filter_select_enabled": FLAG,
        "normalize_columns": FLAG,
        "always_filter_main_dttm": FLAG,
        "is_managed_externally": FLAG,
        "version": TEXT,
        **_DESCRIBED,
    },
    "databases": {"uuid": TEXT, "database_name": TEXT, "sqlalchemy_uri": TEXT, "extra": JSON, "version": TEXT},
    # a dataset's columns and metrics
    "column": {
        "column_name": TEXT,
        "verbose_name": OPTIONAL_TEXT,
        "type": OPTIONAL_TEXT,
        "expression": OPTIONAL_TEXT,
        "description": OPTIONAL_TEXT,
        "python_date_format": OPTIONAL_TEXT,
        "is_dttm": FLAG,
        "is_active": FLAG,
        "groupby": FLAG,
        "filterable": FLAG,
        "extra": JSON,
    },
    "metric": {
        "metric_name": TEXT,
        "expression": TEXT,
        "verbose_name": OPTIONAL_TEXT,
        "metric_type": OPTIONAL_TEXT,
        "description": OPTIONAL_TEXT,
        "d3format": OPTIONAL_TEXT,
        "warning_text": OPTIONAL_TEXT,
        "extra": JSON,
    },
    # the parts of a dashboard retarget reads: its layout's nodes, its native filters
    "node": {"type": OPTIONAL_TEXT, "children": TEXTS, "parents": TEXTS, "meta": OPTIONAL_MAPPING},
    "meta": {"uuid": OPTIONAL_TEXT},
    "dashboard metadata": {"native_filter_configuration": MAPPINGS},
    "native filter": {"targets": MAPPINGS},
    "target": {"datasetUuid": OPTIONAL_TEXT},
}
REQUIRED = {
    "metadata": ("version", "type"),
    "dashboards": ("uuid", "dashboard_title"),
    "charts": ("uuid", "slice_name", "viz_type"),
    "datasets": ("uuid", "table_name", "database_uuid"),
    "databases": ("uuid", "database_name", "sqlalchemy_uri"),
    "column": ("column_name",),
    "metric": ("metric_name", "expression"),
}
PLAIN = (str, int, float, bool, type(None), datetime.date)  # what safe_load makes but sets, pairs and bytes


def _check(bundle, kind, names=None):
    """BundleError naming the file when the bundle is not a Superset export of that kind
    as its exports are (names: {path: the file's name in the ZIP})."""
    names = names or {}

    def shown(path):
        return names.get(path) or f"{bundle.root}{path}"

    for path, content in bundle.files.items():
        if not isinstance(path, str) or not MEMBER.fullmatch(path):
            raise BundleError(_unexpected(shown(path)))
        if not isinstance(content, dict):
            raise BundleError(_("%(file)s in the file does not describe a Superset object.", file=shown(path)))
        _check_plain(content, shown(path))
    metadata = bundle.files.get("metadata.yaml")
    if metadata is None:
        raise _no_export()
    _check_fields(metadata, "metadata", shown("metadata.yaml"))
    if metadata["type"] != kind:
        raise BundleError(
            _(
                "The file is a Superset export of %(found)s, not of dashboards: export dashboards.",
                found=metadata["type"],
            )
        )
    if kind == "Dashboard" and not bundle.of("dashboards"):
        raise BundleError(_("The file holds no dashboard."))
    for kind_ in KINDS:
        uuids = {}
        for path, content in sorted(bundle.of(kind_).items()):
            _check_fields(content, kind_, shown(path))
            if kind_ == "dashboards":
                _check_dashboard(content, shown(path))
            elif kind_ == "datasets":
                _check_dataset(content, shown(path))
            other = uuids.setdefault(content["uuid"], path)
            if other != path:
                raise BundleError(
                    _(
                        "%(file)s and %(other)s in the file have the same uuid, which Superset would import as one: "
                        "export it again from Superset.",
                        file=shown(other),
                        other=shown(path),
                    )
                )
    _check_databases(bundle, kind, shown)


def _check_fields(content, spec, name, where=""):
    """The keys of content (a mapping) as FIELDS[spec] and REQUIRED[spec] say."""
    for key in REQUIRED.get(spec, ()):
        if content.get(key) in (None, ""):
            raise BundleError(
                _("%(file)s in the file has no %(field)s: export it again from Superset.", file=name, field=where + key)
            )
    for key, (accepts, expected) in FIELDS[spec].items():
        if key in content and not accepts(content[key]):
            raise BundleError(
                _(
                    "%(file)s in the file: %(field)s should be %(expected)s, as in Superset's exports.",
                    file=name,
                    field=where + key,
                    expected=expected,
                )
            )


def _check_dashboard(dashboard, name):
    for key, node in (dashboard.get("position") or {}).items():
        if isinstance(node, dict):
            _check_fields(node, "node", name, f"position.{key}.")
            _check_fields(node.get("meta") or {}, "meta", name, f"position.{key}.meta.")
    metadata = dashboard.get("metadata") or {}
    _check_fields(metadata, "dashboard metadata", name, "metadata.")
    for index, native_filter in enumerate(metadata.get("native_filter_configuration") or []):
        where = f"metadata.native_filter_configuration[{index}]."
        _check_fields(native_filter, "native filter", name, where)
        for number, target_ in enumerate(native_filter.get("targets") or []):
            _check_fields(target_, "target", name, f"{where}targets[{number}].")


def _check_dataset(dataset, name):
    for key, spec in (("columns", "column"), ("metrics", "metric")):
        for index, item in enumerate(dataset.get(key) or []):
            _check_fields(item, spec, name, f"{key}[{index}].")


def _check_databases(bundle, kind, shown):
    """A connection must be PostgreSQL (a bundle reads only the analytics views) and, in a
    bundle of dashboards or charts, used by one of its datasets. Not one is sent to
    Superset: retarget puts the analytics connection in their place."""
    used = {dataset["database_uuid"] for dataset in bundle.of("datasets").values()}
    for path, database in sorted(bundle.of("databases").items()):
        uri = database["sqlalchemy_uri"]
        if not uri.startswith(POSTGRESQL):
            raise BundleError(
                _(
                    "%(file)s in the file is a connection to a database that is not PostgreSQL (%(scheme)s): a "
                    "dashboard bundle may read only the Odoo analytics views.",
                    file=shown(path),
                    scheme=uri.partition(":")[0][:40] or "?",
                )
            )
        if kind != "Database" and database["uuid"] not in used:
            raise BundleError(
                _(
                    "%(file)s in the file is a database connection that no dataset of the file uses: remove it.",
                    file=shown(path),
                )
            )


def _check_plain(value, name, where="", depth=0):
    """Only what Superset's exports hold: mappings with text keys, lists, and texts,
    numbers, booleans, dates and nothing; no deeper than MAX_DEPTH."""
    if depth > MAX_DEPTH:
        raise BundleError(
            _(
                "%(file)s in the file nests more than %(depth)s levels deep, which Superset's exports never "
                "do: export it again from Superset.",
                file=name,
                depth=MAX_DEPTH,
            )
        )
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise BundleError(
                    _("%(file)s in the file has a key that is not a text: %(key)s.", file=name, key=repr(key)[:80])
                )
            _check_plain(item, name, f"{where}.{key}" if where else key, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_plain(item, name, f"{where}[{index}]", depth + 1)
    elif not isinstance(value, PLAIN):
        raise BundleError(
            _(
                "%(file)s in the file holds a value of a type Superset does not export (%(type)s, at %(field)s).",
                file=name,
                type=type(value).__name__,
                field=where,
            )
        )


def to_zip(bundle, kind=None):
    """The bundle as a ZIP Superset imports, written again from its parsed files; kind
    "Slice": its charts only (with their datasets and database), for Superset's chart
    import. A path that is not one of an export's is refused."""
    root = bundle.root if ZIP_ROOT.fullmatch(bundle.root) and bundle.root not in ("./", "../") else DEFAULT_ROOT
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, content in bundle.files.items():
            if not isinstance(path, str) or not MEMBER.fullmatch(path):
                raise BundleError(_unexpected(f"{root}{path}"))
            if kind == "Slice" and path.startswith("dashboards/"):
                continue
            written = {**content, "type": kind} if path == "metadata.yaml" and kind else content
            archive.writestr(root + path, yaml.safe_dump(written, sort_keys=False, allow_unicode=True))
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
    earlier version), then its dashboards. Returns an ImportReport. A bundle not made by
    read is checked as read checks it."""
    _check(bundle, "Dashboard")
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
