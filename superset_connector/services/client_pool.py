"""The Superset clients of one Odoo process, one pair per database and settings: a
login, its CSRF session and the circuit breakers outlive a single HTTP request. A change
of settings makes a new pair (and forgets the old ones of that database)."""

import threading


class ClientPool:
    def __init__(self):
        self._pairs = {}
        self._lock = threading.Lock()

    def get(self, database, settings, make):
        """The pair for (database, settings), made by make(settings) the first time."""
        key = (database, settings)
        with self._lock:
            pair = self._pairs.get(key)
            if pair is None:
                for stale in [k for k in self._pairs if k[0] == database]:
                    del self._pairs[stale]  # the settings changed
                pair = self._pairs[key] = make(settings)
        return pair

    def clear(self):
        with self._lock:
            self._pairs.clear()
