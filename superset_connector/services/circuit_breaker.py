"""A circuit breaker: after N failures in a row, fail fast until a delay has passed.

Closed: calls go through. Open: calls fail at once (no network). Half-open (the delay
has passed): one trial call goes through; success closes the breaker, failure opens
it again for another delay.
"""

import threading
import time

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"


class CircuitOpenError(Exception):
    """The breaker is open; retry_in is the number of seconds until the next trial."""

    def __init__(self, failures, retry_in):
        super().__init__(f"circuit open after {failures} failures; next trial in {retry_in:.0f}s")
        self.failures = failures
        self.retry_in = retry_in


class CircuitBreaker:
    def __init__(self, failure_threshold=5, reset_timeout=60.0, clock=time.monotonic):
        self.failure_threshold = failure_threshold
        self.reset_timeout = reset_timeout
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at = None
        self._trial_running = False

    @property
    def state(self):
        with self._lock:
            return self._state()

    @property
    def failures(self):
        return self._failures

    def _state(self):
        if self._opened_at is None:
            return CLOSED
        if self._clock() - self._opened_at >= self.reset_timeout:
            return HALF_OPEN
        return OPEN

    def before_call(self):
        """Raise CircuitOpenError when the call must not go out."""
        with self._lock:
            state = self._state()
            if state == CLOSED:
                return
            if state == HALF_OPEN and not self._trial_running:
                self._trial_running = True  # only one trial at a time
                return
            retry_in = max(0.0, self.reset_timeout - (self._clock() - self._opened_at))
            raise CircuitOpenError(self._failures, retry_in)

    def record_success(self):
        with self._lock:
            self._failures = 0
            self._opened_at = None
            self._trial_running = False

    def record_failure(self):
        with self._lock:
            self._failures += 1
            if self._trial_running or self._failures >= self.failure_threshold:
                self._opened_at = self._clock()
            self._trial_running = False

    def release_trial(self):
        """The call ended with neither an answer nor a failure (interrupted: a worker
        killed at its time limit, a KeyboardInterrupt): let the next call be the trial,
        rather than refusing every call while a trial that will never end "runs"."""
        with self._lock:
            self._trial_running = False
