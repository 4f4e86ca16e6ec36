"""What the stack tells the user: short progress lines and one-line errors."""

import sys


class SetupError(Exception):
    """A problem the user can fix; printed as one line, never as a traceback."""


def step(message):
    print(f"==> {message}", flush=True)


def info(message):
    print(f"    {message}", flush=True)


def warn(message):
    print(f"warning: {message}", file=sys.stderr, flush=True)


def tail(path, lines=25):
    """Last lines of a log file, to show next to an error."""
    try:
        with open(path, errors="replace") as handle:
            return "".join(handle.readlines()[-lines:])
    except OSError:
        return ""
