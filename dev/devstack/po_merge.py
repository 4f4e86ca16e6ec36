"""Bring every translation of the addon up to the template: new terms are added
untranslated, terms no longer used are dropped, places are refreshed, translations kept.

Run by `make pot` with the Odoo venv's Python (polib is one of Odoo's requirements);
the rest of devstack needs only the standard library.
Usage: python po_merge.py TEMPLATE.pot LANG.po...
"""

import sys

import polib


def merge(pot_path, po_path):
    po = polib.pofile(po_path, wrapwidth=78)
    po.merge(polib.pofile(pot_path))
    for entry in po.obsolete_entries():
        po.remove(entry)
    po.save(po_path)
    untranslated = po.untranslated_entries()
    print(f"{po_path}: {po.percent_translated()}% translated, {len(untranslated)} term(s) to translate")


if __name__ == "__main__":
    for path in sys.argv[2:]:
        merge(sys.argv[1], path)
