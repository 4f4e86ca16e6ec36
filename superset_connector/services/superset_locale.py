"""The Superset locale for an Odoo language, for Superset's own interface in an
embedded dashboard (the `_l_` argument of the embedded page).

Superset names most languages by two letters ("fr", "de") and two by language and
country ("pt_BR", "zh_TW"). A locale that Superset does not list in its LANGUAGES
setting makes it fall back to its default language, so asking costs nothing.
"""

REGIONAL = frozenset({"pt_BR", "zh_TW"})


def superset_locale(odoo_lang):
    """The locale for odoo_lang: fr_FR and fr_BE give "fr", pt_BR gives "pt_BR", none gives "en"."""
    if not odoo_lang:
        return "en"
    code = odoo_lang.split("@", 1)[0]  # sr@latin
    return code if code in REGIONAL else code.split("_", 1)[0]
