"""services/text.py: a service's message reads as English where a str is expected and
renders again in another language, values included, without ever failing on a bad
translation."""

from ..errors import SupersetUnavailable

# The services' `_` (services/text.py), under another name: Odoo's term export reads
# every `_()` call of the addon, tests included, and these strings are not the addon's.
from ..text import Text, joined, render
from ..text import _ as service_text

FRENCH = {
    "Superset is unavailable at %(url)s: %(reason)s.": "Superset est indisponible à %(url)s : %(reason)s.",
    "connection refused (nothing listens there)": "connexion refusée (rien n'écoute là)",
    "Check it.": "Vérifiez-le.",
}


def french(template):
    return FRENCH.get(template, template)


def test_a_text_is_its_english_message():
    text = service_text("Superset is unavailable at %(url)s: %(reason)s.", url="http://bi:8088", reason="HTTP 502")
    assert isinstance(text, str)
    assert text == "Superset is unavailable at http://bi:8088: HTTP 502."
    assert f"[{text}]" == "[Superset is unavailable at http://bi:8088: HTTP 502.]"


def test_render_translates_the_template_and_the_texts_among_its_values():
    reason = service_text("connection refused (nothing listens there)")
    text = service_text("Superset is unavailable at %(url)s: %(reason)s.", url="http://bi:8088", reason=reason)
    assert render(text, french) == "Superset est indisponible à http://bi:8088 : connexion refusée (rien n'écoute là)."
    assert render(text, lambda template: template) == str(text)


def test_a_translation_with_other_placeholders_falls_back_to_english():
    text = service_text("Superset is unavailable at %(url)s: %(reason)s.", url="http://bi:8088", reason="HTTP 502")
    assert render(text, lambda template: "Superset est indisponible à %(adresse)s.") == str(text)


def test_values_are_never_taken_for_templates():
    """A value (a URL, Superset's own words) is pasted as it is, never translated or formatted."""
    text = service_text("Superset is unavailable at %(url)s: %(reason)s.", url="Check it.", reason="100%(x)s")
    assert render(text, french) == "Superset est indisponible à Check it. : 100%(x)s."


def test_an_error_renders_its_message_and_fix():
    error = SupersetUnavailable(
        service_text("Superset is unavailable at %(url)s: %(reason)s.", url="http://bi:8088", reason="HTTP 502"),
        service_text("Check it."),
    )
    assert str(error) == "Superset is unavailable at http://bi:8088: HTTP 502. Check it."
    assert render(error.text, french) == "Superset est indisponible à http://bi:8088 : HTTP 502. Vérifiez-le."


def test_joined_keeps_each_part_translatable():
    parts = [service_text("Check it."), "plain 50%"]
    assert joined("; ", parts) == "Check it.; plain 50%"
    assert render(joined("; ", parts), french) == "Vérifiez-le.; plain 50%"
    assert joined("; ", []) == ""


def test_render_accepts_plain_strings_and_none():
    assert render("déjà traduit", french) == "déjà traduit"
    assert render(None, french) == ""
    assert isinstance(Text("no values"), str)
