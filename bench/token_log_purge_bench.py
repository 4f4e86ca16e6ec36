"""Retention cron of the guest token log on a large backlog: the addon's purge (batches of
superset.guest.token.log's PURGE_BATCH rows, one transaction each, as Odoo's cron runner
calls it) against one unbounded ORM delete of every old row in one transaction (what the
purge did before). Same rows, same database, one run; each way runs in a process of its
own so that its peak memory is its own. Prints total time, per-call median and p95, and
the peak memory each way adds to a loaded Odoo process. Nothing is asserted.

Run: make bench NAME=token_log_purge (BENCH_ROWS, default 1000000, sets the backlog;
SC_BENCH_SMOKE=1, see harness.py: 2,000 rows).
"""

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import harness
from figures import percentile

import odoo
from odoo import SUPERUSER_ID, api, fields
from odoo.modules.registry import Registry

from devstack import odoo as odoo_stack
from devstack import postgres
from devstack.stack import setup

ROWS = harness.size("BENCH_ROWS", 1_000_000, 2_000)


def fill(db):
    """Only ROWS log rows 200 days old (each with a company), plus 10 recent ones that must stay."""
    postgres.psql(
        "TRUNCATE superset_guest_token_log CASCADE;"  # noqa: S608 - the one value pasted in is ROWS, an int
        "INSERT INTO superset_guest_token_log "
        "(create_date, outcome, token_mode, rules, user_agent, ip_address, duration_ms) "
        "SELECT now() AT TIME ZONE 'UTC' - interval '200 days' + g * interval '1 second', 'issued', 'local', "
        "'company_id IN (1)', 'Mozilla/5.0 (X11; Linux x86_64) Chrome/156', '127.0.0.1', 4.2 "
        f"FROM generate_series(1, {ROWS:d}) g "
        "UNION ALL SELECT now() AT TIME ZONE 'UTC', 'issued', 'local', 'company_id IN (1)', 'bench', '127.0.0.1', 4.2 "
        "FROM generate_series(1, 10);"
        "INSERT INTO superset_guest_token_log_company_rel (log_id, company_id) "
        "SELECT id, 1 FROM superset_guest_token_log ON CONFLICT DO NOTHING;"
        "ANALYZE superset_guest_token_log; ANALYZE superset_guest_token_log_company_rel;",
        db=db,
    )


def child(way, config, db):
    """Runs in its own process: load the registry, then purge one way; print JSON."""
    odoo.tools.config.parse_config(["-c", config, "-d", db, "--log-level=warn"])
    registry = Registry(db)
    loaded_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    calls = []
    started = time.perf_counter()
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        logs = env["superset.guest.token.log"]
        if way == "batched":
            while True:
                call_started = time.perf_counter()
                deleted = logs._cron_purge()
                cr.commit()  # what Odoo's cron runner does after each call
                calls.append((time.perf_counter() - call_started) * 1000)
                if not deleted:
                    break
        else:
            call_started = time.perf_counter()
            days = int(env["ir.config_parameter"].get_param("superset_connector.token_log_days", 90))
            cutoff = fields.Datetime.subtract(fields.Datetime.now(), days=days)
            logs.search([("create_date", "<", cutoff)]).unlink()
            cr.commit()
            calls.append((time.perf_counter() - call_started) * 1000)
        cr.execute("SELECT count(*) FROM superset_guest_token_log")
        left = cr.fetchone()[0]
    total = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"calls": calls, "total_s": total, "added_mb": (peak_kb - loaded_kb) / 1024, "left": left}))


def main():
    harness.announce()
    stack = setup()
    work = Path(tempfile.mkdtemp(prefix="sc-bench-purge-"))
    db = f"sc_bench_purge_{os.getpid()}"
    results = {}
    try:
        print(f"setting up: database {db} (logs in {work})", flush=True)
        odoo_stack.install(stack, stack.template("base"), db, work / "install.log")
        config = odoo_stack.write_config(work / "odoo.conf", stack.odoo_path, db=db, logfile=work / "odoo.log")
        for way in ("batched", "one transaction"):
            print(f"{ROWS:,} old rows; purging them: {way}", flush=True)
            fill(db)
            child_run = subprocess.run(
                [sys.executable, __file__, "--child", way, str(config), db],
                check=False,
                capture_output=True,
                text=True,
            )
            if child_run.returncode:
                raise SystemExit(f"the {way} purge failed (exit {child_run.returncode}):\n{child_run.stderr}")
            results[way] = json.loads(child_run.stdout.strip().splitlines()[-1])
    finally:
        odoo_stack.drop_db(db)

    print(f"\nguest token log retention: {ROWS:,} rows older than the retention, 10 recent ones")
    header = ("way", "calls", "total s", "call median ms", "call p95 ms", "peak +MB", "left")
    print("{:<16} {:>6} {:>8} {:>15} {:>12} {:>9} {:>5}".format(*header))
    for way, r in results.items():
        calls = r["calls"]
        print(
            f"{way:<16} {len(calls):>6} {r['total_s']:>8.1f} {statistics.median(calls):>15.1f} "
            f"{percentile(calls, 0.95):>12.1f} {r['added_mb']:>9.0f} {r['left']:>5}"
        )
    batched, single = results["batched"], results["one transaction"]
    print(
        f"\npeak memory added, one transaction / batched: {single['added_mb'] / max(batched['added_mb'], 1):.1f}x; "
        f"longest transaction, one transaction / batched: {max(single['calls']) / max(batched['calls']):.0f}x; "
        f"total time, batched / one transaction: {batched['total_s'] / single['total_s']:.2f}x"
    )
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(*sys.argv[2:5])
    else:
        sys.exit(main())
