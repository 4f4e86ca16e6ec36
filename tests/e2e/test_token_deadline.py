"""The guest-token route never keeps a user waiting on Superset longer than the token
deadline (superset_connector.token_deadline, 2 s by default), against the real Odoo
server (threaded, as `odoo-bin` runs it) and the real Superset:

- Superset hung: every one of its processes stopped with SIGSTOP, so its port stays open
  and the kernel accepts connections, but nothing answers (the case that used to cost a
  30 s read timeout per request);
- Superset refusing connections (nothing listens at its address).

In local mode the route makes no call to Superset at all and answers with a token; in
API mode it answers "unavailable" within the deadline. Meanwhile the Odoo server goes on
serving other requests.
"""

import threading
import time

import pytest
from odoo_rpc import OdooRpc

from devstack.procs import free_port

DEADLINE_S = 2.0
SLACK_S = 0.5  # Odoo's own time on the request, on a loaded 2-core machine


@pytest.fixture(scope="module")
def site(odoo_server, superset, rls_content):
    admin = OdooRpc(odoo_server.url, odoo_server.db)
    # token_reuse 0: in API mode, every call asks Superset.
    admin.use_superset(superset, token_deadline=DEADLINE_S, read_timeout=30, token_reuse="0")
    admin.call("superset.dashboard", "action_sync_from_superset")
    (dashboard,) = admin.call(
        "superset.dashboard", "search", [["superset_dashboard_id", "=", rls_content["dashboards"]["sales"]]]
    )
    admin.call("superset.dashboard", "write", [dashboard], {"group_ids": [[5, 0, 0]]})
    yield admin, dashboard
    admin.set_params(token_reuse="1", url=superset.url)


def ask_token(rpc, dashboard):
    """(the route's answer, seconds it took), as the web client asks."""
    result, elapsed_ms = rpc.route(
        f"/superset_connector/dashboards/{dashboard}/guest_token", context={"allowed_company_ids": [1]}
    )
    return result, elapsed_ms / 1000


def ask_while_timing_another_request(site):
    """The token asked in a thread; meanwhile another session's request, timed. Returns
    ((answer, seconds) of the token, seconds of the other request)."""
    admin, dashboard = site
    other = OdooRpc(admin.url, admin.db)
    answer = {}
    thread = threading.Thread(target=lambda: answer.update(token=ask_token(admin, dashboard)))
    thread.start()
    time.sleep(0.2)  # the token request is in Odoo, waiting on Superset if it does
    started = time.perf_counter()
    assert other.call("res.partner", "search_count", [["id", "=", 1]]) == 1
    other_s = time.perf_counter() - started
    thread.join(DEADLINE_S * 10)
    assert "token" in answer, "the token request did not come back"
    return answer["token"], other_s


@pytest.mark.parametrize("mode", ["local", "api"])
def test_a_hung_superset_costs_at_most_the_deadline(site, superset, mode):
    """SIGSTOP on every Superset process: local mode still answers with a token (no call
    to Superset); API mode answers "unavailable" within the deadline plus 0.5 s; another
    request is served in the meantime, without waiting for the first."""
    admin, dashboard = site
    admin.set_params(token_mode=mode, url=superset.url)
    warm, _seconds = ask_token(admin, dashboard)
    assert "token" in warm, warm  # Superset up: a token (and, in API mode, a logged-in client)
    with superset.paused():
        (result, seconds), other_s = ask_while_timing_another_request(site)
        second, second_s = ask_token(admin, dashboard)
    if mode == "local":
        assert "token" in result and "token" in second, (result, second)
    else:
        assert result["error"]["code"] == "superset_unavailable", result
        assert second["error"]["code"] == "superset_unavailable", second
    assert seconds < DEADLINE_S + SLACK_S, f"the token route took {seconds:.2f} s with Superset hung"
    assert second_s < DEADLINE_S + SLACK_S, f"the next token request took {second_s:.2f} s"
    assert other_s < DEADLINE_S, f"another request waited {other_s:.2f} s behind the token route"
    back, _seconds = ask_token(admin, dashboard)
    assert "token" in back, back  # Superset running again: tokens again


@pytest.mark.parametrize("mode", ["local", "api"])
def test_a_superset_refusing_connections(site, mode):
    """Nothing listens at the Superset address: local mode answers with a token, API mode
    with "unavailable", both within the deadline; other requests are served meanwhile."""
    admin, _dashboard = site
    admin.set_params(token_mode=mode, url=f"http://127.0.0.1:{free_port()}")
    (result, seconds), other_s = ask_while_timing_another_request(site)
    if mode == "local":
        assert "token" in result, result
    else:
        assert result["error"]["code"] == "superset_unavailable", result
    assert seconds < DEADLINE_S + SLACK_S
    assert other_s < DEADLINE_S
