"""Row-level-security clause templates: validated when saved, rendered on the server.

A template is SQL with placeholders that only ever become integers computed by Odoo:
{company_ids} (a comma-separated list), {user_id}, {partner_id}, {commercial_partner_id}.
Nothing a user or a request sends is ever pasted into a clause.
"""

import string

# Services have no env: `_` marks a message that the models translate (services/text.py).
# pylint: disable=prefer-env-translation
from .text import _

PLACEHOLDERS = ("company_ids", "user_id", "partner_id", "commercial_partner_id")
DEFAULT_COMPANY_CLAUSE = "company_id IN ({company_ids})"
# Values for messages are computed outside `_()`: Odoo's term export cannot read an
# f-string or an expression with literals inside the call.
SHOWN_PLACEHOLDERS = ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)


class ClauseTemplateError(ValueError):
    """The template cannot be saved; str() says why, in a manager's terms."""


def validate_clause_template(template):
    """Raise ClauseTemplateError unless template is one safe SQL boolean expression."""
    text = (template or "").strip()
    if not text:
        raise ClauseTemplateError(_("The clause is empty."))
    if ";" in text:
        raise ClauseTemplateError(_("A clause is one condition: statement separators (;) are not allowed."))
    if "--" in text or "/*" in text or "*/" in text:
        raise ClauseTemplateError(_("SQL comments (-- or /* */) are not allowed in a clause."))
    _check_quotes_and_parentheses(text)
    try:
        fields = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise ClauseTemplateError(
            _(
                "Unbalanced braces: write placeholders as {company_ids}, and a literal brace as {{ (%(error)s).",
                error=str(exc),
            )
        ) from exc
    for _literal, name, spec, conversion in fields:
        if name is None:
            continue
        shown = f"{{{name}}}"
        if name not in PLACEHOLDERS:
            raise ClauseTemplateError(
                _(
                    "Unknown placeholder %(placeholder)s: use one of %(placeholders)s.",
                    placeholder=shown,
                    placeholders=SHOWN_PLACEHOLDERS,
                )
            )
        if spec or conversion:
            raise ClauseTemplateError(
                _("Placeholder %(placeholder)s takes no format or conversion.", placeholder=shown)
            )


def _check_quotes_and_parentheses(text):
    """Quotes closed ('' is an escaped quote inside a string), parentheses balanced outside strings."""
    quote = None
    depth = 0
    index = 0
    while index < len(text):
        char = text[index]
        if quote:
            if char == quote:
                if index + 1 < len(text) and text[index + 1] == quote:
                    index += 1  # doubled quote: an escaped one
                else:
                    quote = None
        elif char in ("'", '"'):
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise ClauseTemplateError(_("Unbalanced parentheses: a ')' closes nothing."))
        index += 1
    if quote:
        raise ClauseTemplateError(_("Unbalanced quotes: a %(quote)s is never closed.", quote=quote))
    if depth:
        raise ClauseTemplateError(_("Unbalanced parentheses: a '(' is never closed."))


def render_clause(template, values):
    """The clause with its placeholders replaced by integers (a list for company_ids)."""
    validate_clause_template(template)
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


def summarize(rules):
    """One line per rule, for the audit log: "dataset 12: company_id IN (1,2)"."""
    return "\n".join(
        f"{'dataset ' + str(rule['dataset']) if rule.get('dataset') else 'all datasets'}: {rule['clause']}"
        for rule in rules
    )
