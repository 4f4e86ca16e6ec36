"""The committed translation template holds exactly the terms the addon has now, where
Odoo puts them, so that a translator's file covers every string a user sees."""

import re

import polib
import pytest

from devstack import i18n


def _terms(path):
    """{(context, term): its places}: the places tell Odoo's import which field or
    piece of code a translation belongs to."""
    return {(entry.msgctxt, entry.msgid): sorted(entry.occurrences) for entry in polib.pofile(str(path))}


def test_translation_template_is_current(stack, odoo_db, tmp_path):
    exported = i18n.export_pot(stack, odoo_db, tmp_path / "now.pot", tmp_path / "export.log")
    now, committed = _terms(exported), _terms(i18n.POT)
    assert len(now) > 100, f"Odoo exported only {len(now)} terms: see {tmp_path / 'export.log'}"
    missing = sorted(term for _, term in set(now) - set(committed))
    gone = sorted(term for _, term in set(committed) - set(now))
    moved = sorted(key[1] for key in committed if key in now and now[key] != committed[key])
    assert not (missing or gone or moved), (
        f"{i18n.POT.name} is out of date; run `make pot` and commit it.\n"
        f"missing: {missing[:10]}\nno longer used: {gone[:10]}\nmoved: {moved[:10]}"
    )


# What a translation must keep exactly: Python placeholders (%(name)s, %s, %r, %d...),
# clause placeholders ({company_ids}) and markup tags.
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
