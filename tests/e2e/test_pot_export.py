"""The committed translation template holds exactly the terms the addon has now, where
Odoo puts them, so that a translator's file covers every string a user sees: exported
again from the end-to-end database and compared."""

import polib

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
