"""The Superset REST client (services/superset_client.py) against faults caused for real,
with no Superset: nothing listening, a socket that accepts and never answers, tiny HTTP
peers answering 503, cutting an answer short, looping, trickling; and its circuit
breaker and deadline."""

import http.server
import socket
import threading
import time

import pytest

from devstack.procs import free_port

from ..circuit_breaker import CLOSED, HALF_OPEN, OPEN, CircuitBreaker
from ..errors import SupersetUnavailable
from ..superset_client import SupersetClient, rison


def make_client(url, **kwargs):
    """A client of a peer that is no Superset: the credentials are never checked."""
    kwargs.setdefault("connect_timeout", 2)
    kwargs.setdefault("read_timeout", 10)
    return SupersetClient(url, "odoo", "not-checked", **kwargs)


def test_rison_encoding():
    """The list API's q parameter: Rison, with strings quoted only when needed."""
    assert rison({"page": 0, "columns": ["id", "dashboard_title"]}) == "(page:0,columns:!(id,dashboard_title))"
    assert rison("it's a test!") == "'it!'s a test!!'"
    assert rison(True) == "!t"


def test_connection_refused_is_unavailable():
    client = make_client(f"http://127.0.0.1:{free_port()}", retries=0)
    with pytest.raises(SupersetUnavailable) as caught:
        client.health()
    assert "connection refused" in str(caught.value)


def test_silent_server_times_out():
    """A server that accepts connections and never answers: the read timeout ends the call."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        client = make_client(f"http://127.0.0.1:{silent.getsockname()[1]}", retries=0, read_timeout=0.5)
        with pytest.raises(SupersetUnavailable) as caught:
            client.health()
    assert "no answer within 0.5 s" in str(caught.value)


class _FlakyHandler(http.server.BaseHTTPRequestHandler):
    """Answers 503 to the first `failures` requests, then 200 OK."""

    failures = 2
    seen = 0

    def do_GET(self):
        type(self).seen += 1
        status = 503 if type(self).seen <= type(self).failures else 200
        self.send_response(status)
        self.end_headers()
        self.wfile.write(b"OK" if status == 200 else b"busy")

    def log_message(self, *args):
        pass


def test_5xx_is_retried_with_growing_backoff():
    server = http.server.HTTPServer(("127.0.0.1", 0), _FlakyHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    delays = []
    try:
        client = make_client(f"http://127.0.0.1:{server.server_port}", retries=3, backoff=0.2, sleep=delays.append)
        assert client.health() is True
    finally:
        server.shutdown()
    assert _FlakyHandler.seen == 3
    assert len(delays) == 2
    assert 0.1 <= delays[0] <= 0.2 and 0.2 <= delays[1] <= 0.4  # exponential, with jitter below the cap


def test_breaker_states():
    """Closed → open after the threshold → half-open after the delay → closed on success."""
    now = [0.0]
    breaker = CircuitBreaker(failure_threshold=2, reset_timeout=10, clock=lambda: now[0])
    breaker.record_failure()
    assert breaker.state == CLOSED
    breaker.record_failure()
    assert breaker.state == OPEN
    now[0] = 10
    assert breaker.state == HALF_OPEN
    breaker.before_call()  # the one trial
    breaker.record_failure()
    assert breaker.state == OPEN  # failed trial: open again
    now[0] = 20
    breaker.before_call()
    breaker.record_success()
    assert breaker.state == CLOSED


def test_breaker_trial_interrupted_is_released():
    """A half-open trial ended by a BaseException (a worker killed at its time limit, a
    KeyboardInterrupt) neither opens nor closes the breaker, and the next call is the new
    trial instead of being refused for ever."""
    now = [0.0]
    client = make_client("http://127.0.0.1:9", retries=0)
    client.breaker = CircuitBreaker(failure_threshold=1, reset_timeout=10, clock=lambda: now[0])
    client.breaker.record_failure()
    now[0] = 10
    assert client.breaker.state == HALF_OPEN

    def interrupted():
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        client._guarded(interrupted)
    assert client.breaker.state == HALF_OPEN
    assert client._guarded(lambda: "answered") == "answered"  # allowed through as the trial
    assert client.breaker.state == CLOSED


class _TransportFaults(http.server.BaseHTTPRequestHandler):
    """/cut: a body shorter than announced; /loop: redirects to itself; /trickle: one byte
    every 0.2 s; anything else: 200 OK."""

    def do_GET(self):
        if self.path == "/cut":
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            self.wfile.write(b"OK")
        elif self.path == "/loop":
            self.send_response(302)
            self.send_header("Location", "/loop")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/trickle":
            self.send_response(200)
            self.send_header("Content-Length", "50")
            self.end_headers()
            for _ in range(50):
                try:
                    self.wfile.write(b"x")
                    self.wfile.flush()
                except OSError:
                    return
                time.sleep(0.2)
        else:
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"OK")

    def log_message(self, *args):
        pass


@pytest.fixture
def faulty_peer():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _TransportFaults)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("path", "reason"),
    [("/cut", "the answer was cut off or garbled"), ("/loop", "too many redirects")],
)
def test_broken_answers_are_failures_of_superset(faulty_peer, path, reason):
    """An answer cut short and a redirect loop become SupersetUnavailable (never a raw
    requests exception) and count against the breaker."""
    client = make_client(faulty_peer, retries=0, breaker=CircuitBreaker(failure_threshold=2))
    with pytest.raises(SupersetUnavailable) as caught:
        client.request("GET", path, auth=False, json_response=False)
    assert reason in str(caught.value)
    assert client.breaker.failures == 1


@pytest.mark.parametrize("url", ["http://[::1", "ftp://127.0.0.1:9", "127.0.0.1:8088"])
def test_an_invalid_url_is_a_failure_with_its_fix(url):
    client = make_client(url, retries=0)
    with pytest.raises(SupersetUnavailable) as caught:
        client.health()
    assert "is not a valid http(s) address" in str(caught.value)
    assert "Correct the Superset URL" in str(caught.value)
    assert client.breaker.failures == 1


def test_deadline_cuts_a_silent_server_short():
    """A server that accepts and never answers, a read timeout of 10 s, a deadline of
    0.5 s: the call fails as unavailable after the deadline, not the timeout."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        client = make_client(f"http://127.0.0.1:{silent.getsockname()[1]}", retries=3, read_timeout=10)
        started = time.monotonic()
        with pytest.raises(SupersetUnavailable) as caught, client.deadline(0.5):
            client.health()
        elapsed = time.monotonic() - started
    assert "no answer within 0.5 s" in str(caught.value)
    assert elapsed < 2, elapsed  # not 10 s, nor 3 retries of it
    assert client.attempts == 1  # no retry fits in what is left


def test_deadline_covers_an_answer_sent_slowly(faulty_peer):
    """Headers at once, then a byte every 0.2 s (10 s in all): the deadline ends it."""
    client = make_client(faulty_peer, retries=0, read_timeout=10)
    started = time.monotonic()
    with pytest.raises(SupersetUnavailable), client.deadline(1.0):
        client.request("GET", "/trickle", auth=False, json_response=False)
    assert time.monotonic() - started < 2.5


def test_deadline_covers_waiting_for_another_threads_login():
    """One thread logs in to a server that never answers (holding the login lock for its
    10 s read timeout); another, under a 0.5 s deadline, does not wait for it."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        client = make_client(f"http://127.0.0.1:{silent.getsockname()[1]}", retries=0, read_timeout=10)

        def log_in_and_wait():
            with pytest.raises(SupersetUnavailable):
                client.me()

        first = threading.Thread(target=log_in_and_wait, daemon=True)
        first.start()
        time.sleep(0.2)  # the first thread holds the login lock now
        started = time.monotonic()
        with pytest.raises(SupersetUnavailable) as caught, client.deadline(0.5):
            client.me()
        elapsed = time.monotonic() - started
    assert elapsed < 1.5, elapsed
    assert "no answer within 0.5 s" in str(caught.value)
