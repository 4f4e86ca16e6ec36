"""Python venvs in the cache, keyed by a hash of what they are built from.

A fresh clone finds the venv an earlier run built; a change of pins gives a new key
and so a new venv. A venv is used only once its build finished (marker file).
"""

import fcntl
import hashlib
import platform
import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path

from . import debian, settings
from .console import SetupError, info, step
from .procs import run

PIP_VERSION = "26.3"  # --build-constraint needs pip >= 25.3
READY = ".ready"


@contextmanager
def cache_lock(name):
    """Serialise builds of one cached thing across concurrent runs."""
    lock_dir = settings.cache_dir() / "locks"
    lock_dir.mkdir(parents=True, exist_ok=True)
    with open(lock_dir / f"{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _python_version(python):
    result = subprocess.run(
        [python, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SetupError(f"Cannot run {python!r}; set PYTHON to a Python 3.10-3.12 interpreter.")
    version = result.stdout.strip()
    major, minor = map(int, version.split(".")[:2])
    if (major, minor) < (3, 10) or (major, minor) > (3, 12):
        raise SetupError(f"{python} is Python {version}; Odoo 18 and Superset 6.1 need 3.10-3.12 (set PYTHON).")
    return version


def venv_key(name, inputs, python):
    digest = hashlib.sha256()
    digest.update(f"{name}|{_python_version(python)}|{platform.machine()}|pip{PIP_VERSION}".encode())
    for item in inputs:
        digest.update(Path(item).read_bytes() if isinstance(item, Path) else str(item).encode())
    return digest.hexdigest()[:12]


def ensure_venv(name, requirement_files, build_constraints=None, label=None):
    """The venv for these requirement files, building it on first use."""
    python = settings.python()
    inputs = [*requirement_files, *([build_constraints] if build_constraints else [])]
    key = venv_key(name, inputs, python)
    path = settings.cache_dir() / "venvs" / f"{name}-{key}"
    if (path / READY).exists():
        return path
    with cache_lock(f"venv-{name}"):
        if (path / READY).exists():
            return path
        step(f"Building the {label or name} venv in {path} (first run only, a few minutes)")
        if path.exists():
            shutil.rmtree(path)  # an interrupted build
        log = settings.cache_dir() / "logs" / f"venv-{name}-{key}.log"
        log.unlink(missing_ok=True)
        run([python, "-m", "venv", str(path)], log, what=f"creating the {name} venv")
        pip = [str(path / "bin" / "python"), "-m", "pip", "--disable-pip-version-check"]
        run([*pip, "install", "-q", f"pip=={PIP_VERSION}", "wheel"], log, what="upgrading pip in the venv")
        argv = [*pip, "install", "-q"]
        if build_constraints:
            argv += ["--build-constraint", str(build_constraints)]
        for requirements in requirement_files:
            argv += ["-r", str(requirements)]
        run(argv, log, what=f"installing the {name} requirements")
        (path / READY).write_text(" ".join(map(str, requirement_files)))
        info(f"{name} venv ready")
    return path


def odoo_venv(odoo_path):
    debian.ensure(debian.BUILD_HEADERS, "to build Odoo's requirements")
    return ensure_venv(
        "odoo",
        [odoo_path / "requirements.txt", settings.REPO / "requirements" / "odoo-venv.txt"],
        build_constraints=settings.REPO / "requirements" / "build-constraints.txt",
        label="Odoo",
    )


def superset_venv():
    return ensure_venv("superset", [settings.REPO / "requirements" / "superset.txt"], label="Superset 6.1")


def python_of(venv):
    return str(Path(venv) / "bin" / "python")
