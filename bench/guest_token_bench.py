"""Guest-token route, end to end through Odoo's HTTP server: local mode, API mode cold
(every token asked from Superset) and API mode cached. Prints median and p95 of each
and the ratios, with the two costs the route cannot go below: Odoo's own per-request
floor and Superset's time to mint a token asked directly.
Run: make bench NAME=guest_token (ROUNDS=n to change the sample size; SC_BENCH_SMOKE=1
for a run of a few calls, see harness.py).

Everything is real: a copy of the apps template with the addon, an Odoo server, a
Superset server, the RLS test dashboard. Nothing is asserted: figures are printed.
"""

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import harness
from figures import percentile
from odoo_rpc import OdooRpc

from devstack import odoo as odoo_stack
from devstack import settings
from devstack import superset as superset_stack
from devstack.procs import free_port
from devstack.stack import setup

harness.use_addon()  # before the two imports below: they import the addon

import superset_fixtures  # noqa: E402

from odoo.addons.superset_connector.services.superset_client import SupersetClient  # noqa: E402

ROUNDS = harness.size("ROUNDS", 300, 5)
WARMUP = 2 if harness.SMOKE else 20


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
    instance = superset_stack.Instance(work / "superset", free_port(), odoo_port)
    server = None
    content = None
    try:
        print(f"setting up: database {db}, Superset, Odoo (logs in {work})", flush=True)
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

        results = {"odoo floor": sampled(odoo.floor)}
        odoo.set_params(token_mode="local")
        results["local"] = sampled(lambda: odoo.route(dashboard["id"]))
        odoo.set_params(token_mode="api", token_reuse="0")
        results["api cold"] = sampled(lambda: odoo.route(dashboard["id"]))
        odoo.set_params(token_reuse="1")
        results["api cached"] = sampled(lambda: odoo.route(dashboard["id"]))
        results["superset mint"] = sampled(lambda: superset_mint(client, dashboard["embedded_uuid"]))
    finally:
        if server:
            server.stop()
        instance.stop()
        odoo_stack.drop_db(db)
        if content:
            superset_fixtures.drop(content["source_db"])

    print(f"\nguest_token route through Odoo's HTTP server, {ROUNDS} calls each (after {WARMUP} warm-up calls)")
    print(f"{'mode':<14} {'median ms':>10} {'p95 ms':>10}")
    medians = {}
    for mode, samples in results.items():
        medians[mode] = statistics.median(samples)
        print(f"{mode:<14} {medians[mode]:>10.2f} {percentile(samples, 0.95):>10.2f}")
    print(f"\nlocal - odoo floor (the addon's own share): {medians['local'] - medians['odoo floor']:.2f} ms")
    print(f"api cold / local median ratio:   {medians['api cold'] / medians['local']:.1f}x")
    print(f"api cold / api cached median ratio: {medians['api cold'] / medians['api cached']:.1f}x")
    print(f"api cached / local median ratio: {medians['api cached'] / medians['local']:.2f}x")
    print(
        "ceiling of api cold / local if the addon cost nothing (api cold / odoo floor): "
        f"{medians['api cold'] / medians['odoo floor']:.1f}x"
    )
    print(
        f"goal: local median < 15 ms ({'met' if medians['local'] < 15 else 'NOT met'}), "
        f"local >= 10x faster than api cold ({'met' if medians['api cold'] / medians['local'] >= 10 else 'NOT met'})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
