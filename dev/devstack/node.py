"""Node.js tools of the lint: prettier and its XML plugin, at the versions pinned in
requirements/npm/ (package.json and its lockfile), installed once from the npm registry
into the cache, keyed by a hash of the pins (as the venvs are)."""

import hashlib
import shutil
import subprocess

from . import debian, settings
from .console import SetupError, step
from .procs import run
from .venvs import READY, cache_lock

PINS = settings.REPO / "requirements" / "npm"
NODE = {"/usr/bin/node": "nodejs", "/usr/bin/npm": "npm"}
CHECKED = ("superset_connector/**/*.xml", "superset_connector/**/*.js", "tests/addons/**/*.xml")


def tools():
    """The folder holding node_modules with prettier and @prettier/plugin-xml."""
    if not (shutil.which("node") and shutil.which("npm")):
        debian.ensure(NODE, "to check the addon's XML and JavaScript")
    digest = hashlib.sha256()
    for name in ("package.json", "package-lock.json"):
        digest.update((PINS / name).read_bytes())
    folder = settings.cache_dir() / "node" / f"lint-{digest.hexdigest()[:12]}"
    if (folder / READY).exists():
        return folder
    with cache_lock("node-lint"):
        if (folder / READY).exists():
            return folder
        step(f"Installing prettier into {folder} (first run only)")
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copyfile(PINS / name, folder / name)
        log = settings.cache_dir() / "logs" / "npm.log"
        run(["npm", "ci", "--no-audit", "--no-fund"], log, cwd=folder, what="npm ci (prettier)")
        (folder / READY).touch()
    return folder


def prettier(write=False):
    """prettier --check (or --write) on the addon's XML and JavaScript; True when clean."""
    folder = tools()
    plugin = folder / "node_modules" / "@prettier" / "plugin-xml" / "src" / "plugin.js"
    if not plugin.exists():
        raise SetupError(f"prettier's XML plugin is missing from {folder}: delete that folder and run again")
    argv = [
        str(folder / "node_modules" / ".bin" / "prettier"),
        "--write" if write else "--check",
        "--plugin",
        str(plugin),  # by path: prettier resolves plugin names from the files it formats
        *CHECKED,
    ]
    return subprocess.run(argv, cwd=settings.REPO, check=False).returncode == 0
