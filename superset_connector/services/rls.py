"""Row-level-security clauses: the company rule every guest token carries, and the clause
templates managers add, validated when saved and rendered on the server.

The company rule is global (no dataset): Superset applies it to every dataset a guest
query reads, including datasets of charts added to the dashboard after the token was
minted, and fails the query of a dataset that has no company_id column. Rows every
company shares carry company_id 0 (SHARED_COMPANY_ID), a value no Odoo company has:
a NULL (an outer join that found nothing) stays hidden.

A template is SQL with placeholders that only ever become integers computed by Odoo:
{company_ids} (a comma-separated list), {user_id}, {partner_id}, {commercial_partner_id}.
Nothing a user or a request sends is ever pasted into a clause. Superset runs guest
clauses through its Jinja template processor, so a clause holds no brace but its
placeholders, not even inside a string; and nothing that could hide the end of a string
or of the clause from the checks below (E'' strings, dollar quoting, comments, ;).
"""

import functools
import re
import string

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

# Services have no env: `_` marks a message that the models translate (services/text.py).
# pylint: disable=prefer-env-translation
from .text import _

PLACEHOLDERS = ("company_ids", "user_id", "partner_id", "commercial_partner_id")
COMPANY_COLUMN = "company_id"
SHARED_COMPANY_ID = 0
COMPANY_CLAUSE = f"{COMPANY_COLUMN} IN ({{company_ids}}) OR {COMPANY_COLUMN} = {SHARED_COMPANY_ID}"
# Values for messages are computed outside `_()`: Odoo's term export cannot read an
# f-string or an expression with literals inside the call.
SHOWN_PLACEHOLDERS = ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)
# What a placeholder becomes when a template is parsed to check it is one condition.
SAMPLE_VALUES = {"company_ids": "1,2", "user_id": "1", "partner_id": "1", "commercial_partner_id": "1"}
PLACEHOLDER = re.compile(r"\{(\w+)\}")
# Prefixes that change how PostgreSQL reads the string after them: E'\'' hides a quote.
STRING_PREFIX = re.compile(r"(?<![\w$])(?:[eE]|[uU]&)$")


class ClauseTemplateError(ValueError):
    """The template cannot be saved; str() says why, in a manager's terms."""


def validate_clause_template(template):
    """Raise ClauseTemplateError unless template is one safe SQL condition."""
    text = (template or "").strip()
    if not text:
        raise ClauseTemplateError(_("The clause is empty."))
    _scan(text)
    _check_condition(text)


# The pieces of a clause, in the order they are tried: a string or quoted identifier is
# one piece, so nothing inside it is read as SQL.
PIECES = re.compile(
    r"""(?P<string>'(?:[^']|'')*')
      | (?P<identifier>"(?:[^"]|"")*")
      | (?P<brace>\{\w*\}|[{}])
      | (?P<paren>[()])
      | (?P<unclosed>['"])
      | (?P<forbidden>[$\\])
      | (?P<sql>[^'"{}()$\\]+)""",
    re.VERBOSE,
)


def _scan(text):
    """The checks that need no parser: placeholders, strings, separators, parentheses.
    Also run on every render (cheap), so a clause written past the model's check is
    refused too."""
    if ";" in text:
        raise ClauseTemplateError(_("A clause is one condition: statement separators (;) are not allowed."))
    if "--" in text or "/*" in text or "*/" in text:
        raise ClauseTemplateError(_("SQL comments (-- or /* */) are not allowed in a clause."))
    depth, before = 0, ""
    for piece in PIECES.finditer(text):
        kind, value = piece.lastgroup, piece.group()
        if kind in ("string", "identifier") and ("{" in value or "}" in value):
            _brace_error(value[value.find("{") if "{" in value else value.find("}") :][:30])
        if kind == "string" and STRING_PREFIX.search(before):
            raise ClauseTemplateError(
                _("Escape strings (E'...') and Unicode strings (U&'...') are not allowed: write a plain '...'.")
            )
        if kind == "brace":
            _check_placeholder(value, text[piece.start() :])
        elif kind == "paren":
            depth += 1 if value == "(" else -1
            if depth < 0:
                raise ClauseTemplateError(_("Unbalanced parentheses: a ')' closes nothing."))
        elif kind == "unclosed":
            raise ClauseTemplateError(_("Unbalanced quotes: a %(quote)s is never closed.", quote=value))
        elif kind == "forbidden":
            raise ClauseTemplateError(
                _(
                    "Dollar signs and backslashes are allowed only inside a '...' string (no dollar quoting, "
                    "no parameters)."
                )
            )
        before = value
    if depth:
        raise ClauseTemplateError(_("Unbalanced parentheses: a '(' is never closed."))


def _check_placeholder(value, rest):
    """A {name} outside any string must be one of the placeholders; any other brace goes."""
    name = value[1:-1] if len(value) > 2 else None
    if name is None:
        closing = rest.find("}", 1)
        _brace_error(rest[: closing + 1] if 0 < closing <= 30 else rest[:2])
    if name not in PLACEHOLDERS:
        raise ClauseTemplateError(
            _(
                "Unknown placeholder %(placeholder)s: use one of %(placeholders)s.",
                placeholder=value,
                placeholders=SHOWN_PLACEHOLDERS,
            )
        )


def _brace_error(found):
    raise ClauseTemplateError(
        _(
            "Braces are allowed only around a placeholder (%(placeholders)s), not in a string nor doubled: "
            "Superset would read %(found)s as a template.",
            placeholders=SHOWN_PLACEHOLDERS,
            found=found,
        )
    )


@functools.lru_cache(maxsize=1024)
def _check_condition(text):
    """One condition, as PostgreSQL would read it after `WHERE`: parsed (placeholders as
    sample integers) into exactly one SELECT whose only other part is its WHERE."""
    sample = PLACEHOLDER.sub(lambda match: SAMPLE_VALUES[match.group(1)], text)
    try:
        statements = sqlglot.parse(f"SELECT 1 WHERE {sample}", read="postgres")
    except SqlglotError as exc:
        raise ClauseTemplateError(
            _("The clause is not a valid SQL condition (%(error)s).", error=str(exc).splitlines()[0][:200])
        ) from exc
    select = statements[0] if len(statements) == 1 else None
    parts = {key for key, value in select.args.items() if value} if isinstance(select, exp.Select) else set()
    if parts != {"expressions", "where"} or not _is_condition(select.args["where"].this):
        raise ClauseTemplateError(
            _("The clause must be one condition, such as company_id IN ({company_ids}) AND amount > 0.")
        )
    return True


def _is_condition(node):
    if isinstance(node, exp.Paren | exp.Not):
        return _is_condition(node.this)
    if isinstance(node, exp.And | exp.Or):
        return _is_condition(node.left) and _is_condition(node.right)
    return isinstance(node, exp.Predicate | exp.Boolean)


def render_clause(template, values):
    """The clause with its placeholders replaced by integers (a list for company_ids)."""
    template = (template or "").strip()
    if not template:
        raise ClauseTemplateError(_("The clause is empty."))
    _scan(template)
    rendered = {}
    for name in PLACEHOLDERS:
        value = values.get(name)
        if name == "company_ids":
            ids = sorted({int(v) for v in value or ()})
            rendered[name] = ",".join(map(str, ids)) if ids else None
        else:
            rendered[name] = str(int(value)) if value is not None else None
    used = {name for _l, name, _s, _c in string.Formatter().parse(template) if name}
    missing = sorted(name for name in used if rendered[name] is None)
    if missing:
        missing = ", ".join(missing)
        raise ClauseTemplateError(_("No value for %(placeholders)s.", placeholders=missing))
    return template.strip().format(**{k: v for k, v in rendered.items() if v is not None})


def company_rule(company_ids):
    """The token's company rule: global, so no dataset escapes it. Made on every token:
    the constant clause needs no checks, only the integers."""
    ids = sorted({int(company) for company in company_ids})
    if not ids:
        raise ClauseTemplateError(_("No value for %(placeholders)s.", placeholders="company_ids"))
    return {"clause": COMPANY_CLAUSE.format(company_ids=",".join(map(str, ids)))}


def summarize(rules):
    """One line per rule, for the audit log: "dataset 12: company_id IN (1,2)"."""
    return "\n".join(
        f"{'dataset ' + str(rule['dataset']) if rule.get('dataset') else 'all datasets'}: {rule['clause']}"
        for rule in rules
    )
