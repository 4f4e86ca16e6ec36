"""Guest-token route, end to end through Odoo's HTTP server: local mode, API mode cold
(every token asked from Superset) and API mode cached. Prints median and p95 of each
and the ratios, with the two costs the route cannot go below: Odoo's own per-request
floor and Superset's time to mint a token asked directly. Then the three figures that
matter, measured side by side in this run:

1. the addon's own share above Odoo's floor (local median - floor median, the calls
   interleaved), goal <= 0.5 ms;
2. in the production profile (Odoo's prefork workers behind nginx) at VIEWERS concurrent
   viewers, the token route's throughput against the floor call's, goal >= 90 %;
3. with Superset at network distance (DELAY_MS each way, 20 by default, added by a delay
   proxy on loopback between Odoo and Superset), local mode against API mode cold, goal
   >= 10x faster.

Run: make bench NAME=guest_token (ROUNDS=n, VIEWERS=n, SECONDS=n to change the sizes;
SC_BENCH_SMOKE=1 for a run of a few calls, see harness.py).

Everything is real: a copy of the apps template with the addon, Odoo servers, a
Superset server, the RLS test dashboard. Nothing is asserted: figures are printed.
"""

import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import harness
from delay_proxy import DelayProxy
from figures import percentile
from odoo_rpc import OdooRpc

from devstack import odoo as odoo_stack
from devstack import production, settings
from devstack import superset as superset_stack
from devstack.procs import free_port
from devstack.stack import setup

harness.use_addon()  # before the two imports below: they import the addon

import superset_fixtures  # noqa: E402

from odoo.addons.superset_connector.services.superset_client import SupersetClient  # noqa: E402

ROUNDS = harness.size("ROUNDS", 300, 5)
WARMUP = 2 if harness.SMOKE else 20
VIEWERS = harness.size("VIEWERS", 50, 3)
SECONDS = harness.size("SECONDS", 20, 2)
DELAY_MS = float(os.environ.get("DELAY_MS") or 20)


class Odoo(OdooRpc):
    """JSON-RPC as admin against the real Odoo server, plus the two timed calls."""

    def floor(self):
        """An authenticated JSON-RPC call that does next to nothing: Odoo's own cost."""
        started = time.perf_counter()
        result = self.call("res.partner", "search_count", [["id", "=", 1]])
        assert result == 1, result
        return (time.perf_counter() - started) * 1000

    def route(self, dashboard_id):
        result, elapsed = super().route(
            f"/superset_connector/dashboards/{dashboard_id}/guest_token", context={"allowed_company_ids": [1]}
        )
        if "token" not in (result or {}):
            raise RuntimeError(f"no token: {json.dumps(result)[:500]}")
        return elapsed


def sampled(timed_call):
    """Milliseconds of ROUNDS calls of timed_call (which returns its own), after WARMUP."""
    return [timed_call() for _ in range(WARMUP + ROUNDS)][WARMUP:]


def interleaved(first, second):
    """Milliseconds of ROUNDS calls of each, alternating (first, second, second, first, ...):
    a machine that slows down or speeds up during the run weighs on both alike, which
    two blocks one after the other would not (the figure is a difference of two medians
    a few percent apart)."""
    a, b = [], []
    for index in range(WARMUP + ROUNDS):
        pair = ((first, a), (second, b)) if index % 2 == 0 else ((second, b), (first, a))
        for timed_call, samples in pair:
            samples.append(timed_call())
    return a[WARMUP:], b[WARMUP:]


def throughput(clients, timed_call):
    """Calls per second of `timed_call(client)` made by every client at once, each in its
    own thread, for SECONDS (after a second of warm-up); and their milliseconds."""
    samples, errors = [], []
    start = time.monotonic() + 1.0
    end = start + SECONDS

    def viewer(client):
        while (now := time.monotonic()) < end:
            try:
                elapsed = timed_call(client)
            except Exception as exc:  # counted and shown: a failed call is no throughput
                errors.append(repr(exc)[:200])
                continue
            if now >= start:
                samples.append(elapsed)

    threads = [threading.Thread(target=viewer, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(samples) / SECONDS, samples, errors


def superset_mint(client, embedded_uuid):
    """One guest-token call as the API mode makes it, straight to Superset (no Odoo)."""
    payload = {
        "user": {"username": "bench", "first_name": "Bench", "last_name": "user"},
        "resources": [{"type": "dashboard", "id": embedded_uuid}],
        "rls": [{"clause": "company_id IN (1)"}],
    }
    started = time.perf_counter()
    client.guest_token(payload)
    return (time.perf_counter() - started) * 1000


def main():
    harness.announce()
    stack = setup()
    work = Path(tempfile.mkdtemp(prefix="sc-bench-"))
    db = f"sc_bench_tokens_{os.getpid()}"
    odoo_port = free_port()
    workers = production.OdooWorkers(work / "odoo-workers", free_port(), workers=2)
    instance = superset_stack.Instance(work / "superset", free_port(), odoo_port)
    server = None
    content = None
    try:
        print(f"setting up: database {db}, Superset, Odoo threaded and with workers (logs in {work})", flush=True)
        odoo_stack.install(stack, stack.template("apps"), db, work / "install.log")
        instance.start(stack.superset_venv)
        user, password = settings.superset_admin()
        client = SupersetClient(instance.url, user, password, retries=0)
        content = superset_fixtures.build(
            client, f"{db}_source", settings.db_user(), settings.db_password(), settings.pg_host(), settings.pg_port()
        )
        server = odoo_stack.start(stack.odoo_venv, stack.odoo_path, db, odoo_port, work / "odoo")
        odoo = Odoo(f"http://127.0.0.1:{odoo_port}", db)
        odoo.use_superset(instance, token_mode="local")
        odoo.call("superset.dashboard", "action_sync_from_superset")
        (dashboard,) = odoo.call(
            "superset.dashboard",
            "search_read",
            [["superset_dashboard_id", "=", content["dashboards"]["sales"]]],
            ["id", "embedded_uuid"],
        )
        odoo.call("superset.dashboard", "write", [dashboard["id"]], {"group_ids": [[5, 0, 0]]})

        odoo.set_params(token_mode="local")
        floor_ms, local_ms = interleaved(odoo.floor, lambda: odoo.route(dashboard["id"]))
        results = {"odoo floor": floor_ms, "local": local_ms}
        odoo.set_params(token_mode="api", token_reuse="0")
        results["api cold"] = sampled(lambda: odoo.route(dashboard["id"]))
        odoo.set_params(token_reuse="1")
        results["api cached"] = sampled(lambda: odoo.route(dashboard["id"]))
        results["superset mint"] = sampled(lambda: superset_mint(client, dashboard["embedded_uuid"]))

        # 3. Superset at network distance: Odoo reaches it through the delay proxy.
        with DelayProxy(instance.port, DELAY_MS / 1000) as proxy:
            odoo.set_params(internal_url=proxy.url, token_mode="local")
            distant = {"local": sampled(lambda: odoo.route(dashboard["id"]))}
            odoo.set_params(token_mode="api", token_reuse="0")
            distant["api cold"] = sampled(lambda: odoo.route(dashboard["id"]))
            odoo.set_params(internal_url="", token_mode="local", token_reuse="1")

        # 2. The production profile's Odoo (prefork workers behind nginx), VIEWERS at once.
        workers.start(stack.odoo_venv, stack.odoo_path, db)
        viewers = [Odoo(workers.url, db) for _ in range(VIEWERS)]
        floor_rate, floor_ms, floor_errors = throughput(viewers, Odoo.floor)
        token_rate, token_ms, token_errors = throughput(viewers, lambda v: v.route(dashboard["id"]))
    finally:
        workers.stop()
        if server:
            server.stop()
        instance.stop()
        odoo_stack.drop_db(db)
        if content:
            superset_fixtures.drop(content["source_db"])

    report(results, distant, (floor_rate, floor_ms, floor_errors), (token_rate, token_ms, token_errors))
    return 0


def report(results, distant, floor, tokens):
    """Print the figures: each mode's median and p95, then the three token figures."""
    floor_rate, floor_ms, floor_errors = floor
    token_rate, token_ms, token_errors = tokens
    print(f"\nguest_token route through Odoo's HTTP server, {ROUNDS} calls each (after {WARMUP} warm-up calls)")
    print(f"{'mode':<14} {'median ms':>10} {'p95 ms':>10}")
    medians = {}
    for mode, samples in results.items():
        medians[mode] = statistics.median(samples)
        print(f"{mode:<14} {medians[mode]:>10.2f} {percentile(samples, 0.95):>10.2f}")
    print(f"api cold / local median ratio:   {medians['api cold'] / medians['local']:.1f}x")
    print(f"api cold / api cached median ratio: {medians['api cold'] / medians['api cached']:.1f}x")
    print(f"api cached / local median ratio: {medians['api cached'] / medians['local']:.2f}x")

    share = medians["local"] - medians["odoo floor"]
    paired = statistics.median(b - a for a, b in zip(results["odoo floor"], results["local"], strict=True))
    ratio_rate = token_rate / floor_rate if floor_rate else 0.0
    distant_local, distant_cold = (statistics.median(distant[m]) for m in ("local", "api cold"))
    print("\nthe three token figures, measured side by side in this run")
    print(f"{'figure':<58} {'value':>14} {'goal':>10} {'':>8}")
    rows = (
        ("1. addon's share above Odoo's floor (median)", f"{share:.2f} ms", "<= 0.5 ms", share <= 0.5),
        (
            f"2. token route / floor throughput, workers, {VIEWERS} viewers",
            f"{100 * ratio_rate:.0f} %",
            ">= 90 %",
            ratio_rate >= 0.9,
        ),
        (
            f"3. api cold / local median, Superset {DELAY_MS:g} ms away",
            f"{distant_cold / distant_local:.1f}x",
            ">= 10x",
            distant_cold / distant_local >= 10,
        ),
    )
    for name, value, goal, met in rows:
        print(f"{name:<58} {value:>14} {goal:>10} {'met' if met else 'NOT met':>8}")
    print(
        f"\n   1: local {medians['local']:.2f} ms, floor {medians['odoo floor']:.2f} ms (threaded Odoo, one caller, "
        f"calls interleaved; median of the paired differences {paired:.2f} ms)"
        f"\n   2: floor {floor_rate:.0f} calls/s (median {statistics.median(floor_ms or [0]):.1f} ms, "
        f"p95 {percentile(floor_ms or [0], 0.95):.1f} ms), token route {token_rate:.0f} calls/s (median "
        f"{statistics.median(token_ms or [0]):.1f} ms, p95 {percentile(token_ms or [0], 0.95):.1f} ms), "
        f"{SECONDS} s each, errors {len(floor_errors)} / {len(token_errors)}"
        f"\n   3: local {distant_local:.2f} ms (p95 {percentile(distant['local'], 0.95):.2f}), api cold "
        f"{distant_cold:.2f} ms (p95 {percentile(distant['api cold'], 0.95):.2f}), {ROUNDS} calls each"
    )
    for error in (floor_errors + token_errors)[:3]:
        print(f"   error: {error}")


if __name__ == "__main__":
    sys.exit(main())
