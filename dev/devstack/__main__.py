"""python -m devstack {setup|demo|stop|test|lint|format|bench|pot} — what the Makefile targets call."""

import argparse
import sys

from . import demo, i18n, testrun
from .console import SetupError
from .stack import setup


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m devstack", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("setup", help="PostgreSQL, Odoo source, venvs, template databases, Superset metadata")
    demo_parser = commands.add_parser("demo", help="set up and run Odoo + Superset with demo data")
    demo_parser.add_argument("--detach", action="store_true", help="return once every server answers")
    demo_parser.add_argument(
        "--profile",
        default="default",
        choices=("default", "production"),
        help="default: Odoo threaded, one Superset process; production: workers, Redis, Celery, a standby",
    )
    commands.add_parser("stop", help="stop the demo servers")
    commands.add_parser("lint", help="ruff, pylint-odoo and prettier")
    commands.add_parser("format", help="ruff format and prettier --write: what lint checks, applied")
    bench_parser = commands.add_parser("bench", help="run the benchmarks in bench/ (they print figures)")
    bench_parser.add_argument("name", nargs="?", help="only bench/<name>_bench.py")
    commands.add_parser("pot", help="export the translation template superset_connector/i18n/superset_connector.pot")
    test_parser = commands.add_parser("test", help="lint, then every test against real servers")
    test_parser.add_argument("pytest_args", nargs=argparse.REMAINDER, help="extra pytest arguments")
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["test"]:  # everything after `test` belongs to pytest, options included
        args = argparse.Namespace(command="test", pytest_args=argv[1:])
    else:
        args = parser.parse_args(argv)
    try:
        if args.command == "setup":
            stack = setup()
            stack.template("apps")
            stack.template("base")
            stack.superset_metadata()
            return 0
        if args.command == "demo":
            return demo.start(detach=args.detach, profile=args.profile)
        if args.command == "stop":
            return demo.stop()
        if args.command == "bench":
            return testrun.bench(args.name)
        if args.command == "pot":
            print(i18n.update_pot(setup()))
            return 0
        if args.command == "lint":
            testrun.lint()
            return 0
        if args.command == "format":
            return testrun.format_code()
        return testrun.test(args.pytest_args)
    except SetupError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
