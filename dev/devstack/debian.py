"""Debian packages the stack needs: installed when we are root, named when we are not."""

import os
import shutil
from pathlib import Path

from . import settings
from .console import SetupError, step
from .procs import run

# file that proves the package is there -> package
BUILD_HEADERS = {
    "/usr/include/ldap.h": "libldap2-dev",
    "/usr/include/sasl/sasl.h": "libsasl2-dev",
    "/usr/bin/pg_config": "libpq-dev",
}
BROWSER = {
    "/usr/bin/chromium": "chromium",
    "/usr/bin/chromedriver": "chromium-driver",
}


def ensure(files, purpose):
    missing = sorted({package for path, package in files.items() if not Path(path).exists()})
    if not missing:
        return
    if shutil.which("apt-get") and os.geteuid() == 0:
        step(f"Installing Debian packages {' '.join(missing)} ({purpose})")
        log = settings.cache_dir() / "logs" / "apt.log"
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        run(["apt-get", "update", "-qq"], log, env=env, what="apt-get update")
        run(["apt-get", "install", "-y", "-qq", *missing], log, env=env, what=f"apt-get install {' '.join(missing)}")
        return
    raise SetupError(f"Missing Debian packages ({purpose}); install them: sudo apt-get install {' '.join(missing)}")
