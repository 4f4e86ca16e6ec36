"""python -m devstack {setup|demo|stop|test|lint} — what the Makefile targets call."""

import argparse
import sys

from . import demo, testrun
from .console import SetupError
from .stack import setup


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m devstack", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("setup", help="PostgreSQL, Odoo source, venvs, template databases, Superset metadata")
    demo_parser = commands.add_parser("demo", help="set up and run Odoo + Superset with demo data")
    demo_parser.add_argument("--detach", action="store_true", help="return once both servers answer")
    commands.add_parser("stop", help="stop the demo servers")
    commands.add_parser("lint", help="ruff and pylint-odoo")
    test_parser = commands.add_parser("test", help="lint, then every test against real servers")
    test_parser.add_argument("pytest_args", nargs=argparse.REMAINDER, help="extra pytest arguments")
    argv = list(sys.argv[1:] if argv is None else argv)
    # Everything after "test" goes to pytest as given: argparse's REMAINDER refuses a first
    # argument that looks like an option (make test PYTEST_ARGS="-k menus").
    pytest_args = argv[1:] if argv[:1] == ["test"] else None
    args = parser.parse_args(argv[:1] if pytest_args is not None else argv)
    try:
        if args.command == "setup":
            stack = setup()
            stack.template("apps")
            stack.template("base")
            stack.superset_metadata()
            return 0
        if args.command == "demo":
            return demo.start(detach=args.detach)
        if args.command == "stop":
            return demo.stop()
        if args.command == "lint":
            testrun.lint()
            return 0
        return testrun.test(args.pytest_args if pytest_args is None else pytest_args)
    except SetupError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
