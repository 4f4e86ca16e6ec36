"""The translation template: superset_connector/i18n/superset_connector.pot, exported by
Odoo itself from a database with the addon installed (`make pot`)."""

import os
import tempfile
from pathlib import Path

from . import odoo, procs, settings
from .console import SetupError, step
from .venvs import python_of

MODULE = "superset_connector"
POT = settings.REPO / MODULE / "i18n" / f"{MODULE}.pot"


def export_pot(stack, db, dest, log):
    """Every translatable term of the addon (code, views, fields, menus, data) as Odoo
    exports it: the file translators start from and Odoo's own import reads back."""
    config = odoo.write_config(Path(log).with_suffix(".conf"), stack.odoo_path, db=db)
    odoo.run_odoo(
        stack.odoo_venv,
        stack.odoo_path,
        config,
        ["-d", db, f"--i18n-export={dest}", f"--modules={MODULE}", "--stop-after-init"],
        log,
        what=f"exporting the terms of {MODULE} from {db}",
        timeout=600,
    )
    # Odoo logs a file whose terms it cannot read (babel evaluates every string inside
    # a `_()` call: an f-string there stops it) and exports the rest without a word.
    failures = [line for line in Path(log).read_text(errors="replace").splitlines() if "Failed to extract" in line]
    if failures:
        raise SetupError(
            "Odoo could not read the terms of some files (no f-string inside a _() call; pass values instead); "
            f"see {log}:\n" + "\n".join(failures)
        )
    return Path(dest)


def update_pot(stack):
    """Write POT from a throw-away database with the addon installed."""
    work = Path(tempfile.mkdtemp(prefix="sc-pot-"))
    db = f"sc_pot_{os.getpid()}"
    try:
        step(f"Installing {MODULE} into {db} (logs in {work})")
        odoo.install(stack, stack.template("base"), db, work / "install.log")
        step(f"Exporting the translation template to {POT.relative_to(settings.REPO)}")
        POT.parent.mkdir(exist_ok=True)
        export_pot(stack, db, POT, work / "export.log")
    finally:
        odoo.drop_db(db)
    translations = sorted(POT.parent.glob("*.po"))
    if translations:
        step(f"Merging the template into {', '.join(path.name for path in translations)}")
        log = work / "merge.log"
        procs.run(
            [python_of(stack.odoo_venv), str(Path(__file__).with_name("po_merge.py")), str(POT)]
            + [str(path) for path in translations],
            log,
            what="merging the template into the translations",
        )
        print(log.read_text().split("\n", 2)[-1].strip())
    return POT
