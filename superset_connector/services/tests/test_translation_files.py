"""Every shipped translation covers the committed template and keeps its placeholders and
tags exactly (no server)."""

import re

import polib
import pytest

from devstack import i18n


def _terms(path):
    """{(context, term): its places}: the places tell Odoo's import which field or
    piece of code a translation belongs to."""
    return {(entry.msgctxt, entry.msgid): sorted(entry.occurrences) for entry in polib.pofile(str(path))}


KEPT = re.compile(r"%\([a-z_]+\)[srd]|%[srd]|\{[a-z_]+\}|</?[a-zA-Z][a-zA-Z0-9_-]*")


def _languages():
    return sorted(i18n.POT.parent.glob("*.po"))


def test_a_translation_is_shipped():
    assert _languages(), f"no <language>.po next to {i18n.POT.name}"


@pytest.mark.parametrize("path", _languages(), ids=lambda path: path.name)
def test_translation_covers_the_template_and_keeps_placeholders(path):
    """Every term of the template translated, none that the template lost, and each
    translation with the same placeholders and tags as its term: a missing %(url)s
    would make Odoo fall back to English, a missing tag would break a view."""
    template = _terms(i18n.POT)
    po = polib.pofile(str(path))
    entries = {(entry.msgctxt, entry.msgid): entry for entry in po if not entry.obsolete}
    untranslated = sorted(key[1] for key in template if not _translated(entries.get(key)))
    stale = sorted(term for _, term in set(entries) - set(template))
    broken = sorted(
        entry.msgid
        for entry in entries.values()
        if entry.msgstr and sorted(KEPT.findall(entry.msgid)) != sorted(KEPT.findall(entry.msgstr))
    )
    assert not (untranslated or stale or broken), (
        f"{path.name}: run `make pot` (it merges the template in), then translate.\n"
        f"untranslated: {untranslated[:10]}\nnot in the template: {stale[:10]}\n"
        f"placeholders or tags differ: {broken[:10]}"
    )


def _translated(entry):
    return entry is not None and bool(entry.msgstr) and "fuzzy" not in entry.flags
