"""Pure helpers of the analytics SQL layer (no odoo import): SQL file rendering, column
lists, and the SCRAM verifier of the read-only role's password.

SQL files in ``sql_views/`` hold one SELECT statement. Parts that read an optional app's
columns sit in a conditional block, kept or dropped by :func:`render`::

    --@if sale_margin
        SUM(l.margin / rate) AS margin
    --@else
        NULL::numeric AS margin
    --@endif

Two marker lines say where other addons' columns go (``superset.analytics.view``'s
``_sql_extra_columns`` and ``_sql_extra_group_by``): ``--@extra_columns`` after the last
column of the SELECT list, ``--@extra_group_by`` after the last expression of its GROUP BY.
"""

import base64
import hashlib
import hmac
import re
import secrets

IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
MODULE_NAME = re.compile(r"^[a-z0-9_]+$")
MARKERS = ("extra_columns", "extra_group_by")
_DIRECTIVE = re.compile(r"^\s*--@(if|else|endif|extra_columns|extra_group_by)\b\s*(.*?)\s*$")
# A kept marker line with the line break before it: without extra columns, the statement
# reads as if the marker were not there.
_MARKER_LINE = re.compile(r"\n--@(extra_columns|extra_group_by)(?=\n|\Z)")


class SqlFileError(ValueError):
    """A SQL file or a column list that cannot be used as given."""


def _directives(text):
    """Yield (line, kind, argument) for every line; kind is None for ordinary lines."""
    for line in text.splitlines():
        match = _DIRECTIVE.match(line)
        yield (line, *match.groups()) if match else (line, None, None)


def referenced_modules(text):
    """Module names the file's ``--@if`` blocks test (its optional apps)."""
    return {arg for _line, kind, arg in _directives(text) if kind == "if"}


def render(text, installed_modules, keep_markers=False):
    """The SELECT statement of a SQL file: conditional blocks resolved, comment lines
    dropped (PostgreSQL does not keep them, and a comment edit then changes nothing).

    ``installed_modules`` is a set of module names. Blocks do not nest. The result must
    not contain ``%`` (the statement is executed as code, without parameters) nor ``;``.
    ``keep_markers``: the marker lines stay, alone on their line, for :func:`split_at_markers`.
    """
    out, block, keep = [], None, True
    for number, (line, kind, arg) in enumerate(_directives(text), start=1):
        if kind == "if":
            if block is not None:
                raise SqlFileError(f"line {number}: --@if blocks do not nest")
            if not MODULE_NAME.match(arg or ""):
                raise SqlFileError(f"line {number}: --@if needs one module name, got {arg!r}")
            block, keep = "if", arg in installed_modules
        elif kind == "else":
            if block != "if":
                raise SqlFileError(f"line {number}: --@else without --@if")
            block, keep = "else", not keep
        elif kind == "endif":
            if block is None:
                raise SqlFileError(f"line {number}: --@endif without --@if")
            block, keep = None, True
        elif kind in MARKERS:
            if keep and keep_markers:
                out.append(f"--@{kind}")
        elif keep and not line.lstrip().startswith("--"):
            out.append(line)
    if block is not None:
        raise SqlFileError("unterminated --@if block")
    return _checked("\n".join(out))


def _checked(sql):
    sql = sql.strip().rstrip(";").strip()
    if not sql:
        raise SqlFileError("the file holds no statement")
    if "%" in sql:
        raise SqlFileError("'%' is not allowed in analytics SQL files (use mod() or a division)")
    if ";" in sql:
        raise SqlFileError("a SQL file holds exactly one statement")
    return sql


def split_at_markers(sql):
    """[text, marker, text, marker, ..., text] of a statement rendered with its markers;
    each marker at most once (a column added twice would be an error anyway)."""
    parts = _MARKER_LINE.split(sql)
    found = parts[1::2]
    for marker in MARKERS:
        if found.count(marker) > 1:
            raise SqlFileError(f"--@{marker} stands more than once")
    return parts


def columns(text):
    """Column names from "a, b, c" (empty text: empty list); each a plain identifier."""
    names = [name.strip() for name in (text or "").split(",") if name.strip()]
    for name in names:
        if not IDENTIFIER.match(name):
            raise SqlFileError(f"{name!r} is not a plain column name")
    if len(set(names)) != len(names):
        raise SqlFileError(f"a column is repeated in {text!r}")
    return names


def index_column_lists(text):
    """Extra indexes, one per line, each a comma-separated list of columns."""
    return [columns(line) for line in (text or "").splitlines() if line.strip()]


def module_names(text):
    """Module names from "sale, purchase_stock"."""
    names = [name.strip() for name in (text or "").split(",") if name.strip()]
    for name in names:
        if not MODULE_NAME.match(name):
            raise SqlFileError(f"{name!r} is not a module name")
    return names


def new_password(length=32):
    """A random password for the read-only role (URL-safe: it goes into a connection URI)."""
    return secrets.token_urlsafe(length)


def scram_sha256_verifier(password, salt=None, iterations=4096):
    """The SCRAM-SHA-256 verifier PostgreSQL stores for a password (RFC 5802/7677).

    Sending this instead of the password (as libpq's PQencryptPasswordConn and psql's
    \\password do) keeps the clear password out of PostgreSQL's statement log.
    """
    salt = salt if salt is not None else secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()

    def b64(data):
        return base64.b64encode(data).decode()

    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"
