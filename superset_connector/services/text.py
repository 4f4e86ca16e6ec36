"""Messages for people, written here in English and shown in the user's language.

Services import no Odoo, yet what they say reaches users: a Superset that is down, a
clause that cannot be saved, a failed connection check. A service writes such a message
as `_(template, **values)`. `_` is the name Odoo's term export looks for, so the
template lands in the translation files; the result is a str that reads as English (in
logs and tests) and remembers its template and values, so that the models can render it
in the user's language (`Text.render`).
"""


class Text(str):
    """An English message that can be rendered again through a translation function."""

    def __new__(cls, template, values=None):
        values = dict(values or {})
        self = super().__new__(cls, template % values if values else template)
        self.template = template
        self.values = values
        return self

    def render(self, translate):
        """The message with translate(template) as template; values that are Texts
        themselves are rendered the same way. A translation whose placeholders do not
        match the template's falls back to English rather than failing."""
        values = {key: _render(value, translate) for key, value in self.values.items()}
        template = translate(self.template)
        if not values:
            return template
        try:
            return template % values
        except (KeyError, TypeError, ValueError):
            return self.template % values


def _render(value, translate):
    return value.render(translate) if isinstance(value, Text) else value


def _(template, **values):
    """Mark template for translation; %(name)s placeholders take values."""
    return Text(template, values)


def joined(separator, parts):
    """The parts, each still translatable, as one Text."""
    parts = list(parts)
    template = separator.replace("%", "%%").join(f"%(part{index})s" for index in range(len(parts)))
    return Text(template, {f"part{index}": part for index, part in enumerate(parts)})


def render(value, translate):
    """value (a Text, a str or None) in the language of translate."""
    if value is None:
        return ""
    return _render(value, translate) if isinstance(value, Text) else str(value)
