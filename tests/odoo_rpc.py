"""JSON-RPC to a real Odoo server, as a logged-in user (tests and benchmarks)."""

import json
import re
import time

import requests

from devstack import settings
from devstack import superset as superset_stack

TIMEOUT = 120


class OdooRpc:
    def __init__(self, url, db, login="admin", password="admin"):
        self.url = url
        self.db = db
        self.session = requests.Session()
        reply = self.session.post(
            f"{url}/web/session/authenticate",
            json={"jsonrpc": "2.0", "params": {"db": db, "login": login, "password": password}},
            timeout=TIMEOUT,
        ).json()
        if not (reply.get("result") or {}).get("uid"):
            raise RuntimeError(f"cannot log in to {url} as {login}: {json.dumps(reply)[:500]}")

    def call(self, model, method, *args, **kwargs):
        reply = self.session.post(
            f"{self.url}/web/dataset/call_kw",
            json={"jsonrpc": "2.0", "params": {"model": model, "method": method, "args": args, "kwargs": kwargs}},
            timeout=TIMEOUT,
        ).json()
        if "error" in reply:
            raise RuntimeError(json.dumps(reply["error"])[:2000])
        return reply["result"]

    def warm_assets(self, *pages):
        """Fetch the asset bundles of these pages once: the first request compiles them
        (tens of seconds on a small machine), better here than inside a browser wait."""
        for page in pages:
            html = self.session.get(f"{self.url}{page}", timeout=TIMEOUT).text
            for bundle in sorted(set(re.findall(r'(?:src|href)="(/web/assets/[^"]+)"', html))):
                self.session.get(f"{self.url}{bundle}", timeout=600)

    def ref(self, xmlid):
        """The database id behind an XML id."""
        module, name = xmlid.split(".")
        (record,) = self.call(
            "ir.model.data", "search_read", [["module", "=", module], ["name", "=", name]], ["res_id"]
        )
        return record["res_id"]

    def set_params(self, **values):
        for key, value in values.items():
            self.call("ir.config_parameter", "set_param", f"superset_connector.{key}", value)

    def use_superset(self, superset, **params):
        """Point this Odoo at a Superset the harness started (a devstack Instance), as an
        integrator would: its own address (web.base.url), the service account, the
        guest-token secret and audience, and any other settings given."""
        user, password = settings.superset_admin()
        self.call("ir.config_parameter", "set_param", "web.base.url", self.url)
        self.set_params(
            url=superset.url,
            username=user,
            password=password,
            guest_token_secret=superset.guest_token_secret,
            guest_token_audience=superset_stack.GUEST_AUDIENCE,
            **params,
        )

    def route(self, path, **params):
        """POST a JSON route; returns (result, milliseconds)."""
        started = time.perf_counter()
        reply = self.session.post(
            f"{self.url}{path}", json={"jsonrpc": "2.0", "params": params}, timeout=TIMEOUT
        ).json()
        return reply.get("result", reply.get("error")), (time.perf_counter() - started) * 1000
