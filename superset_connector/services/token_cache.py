"""Guest tokens Superset issued, reused until shortly before they expire (API mode):
opening a dashboard again, or in another tab, costs no round trip to Superset. One
cache per Odoo process; safe across the threads of a threaded server."""

import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class CachedToken:
    token: str
    expires_at: int
    minted_at: float
    jti: str

    def fresh(self, now):
        """Still worth handing out: more than a fifth of its life (and 10 s) left."""
        return self.expires_at - now > max(10.0, (self.expires_at - self.minted_at) * 0.2)


class TokenCache:
    def __init__(self, max_size=2000):
        self.max_size = max_size
        self._tokens = {}
        self._lock = threading.Lock()

    def get(self, key, now=None):
        """The cached token for key when still fresh, else None."""
        now = time.time() if now is None else now
        with self._lock:
            hit = self._tokens.get(key)
        return hit if hit and hit.fresh(now) else None

    def put(self, key, token, expires_at, minted_at, jti):
        with self._lock:
            if len(self._tokens) >= self.max_size:
                expired = [k for k, v in self._tokens.items() if v.expires_at <= minted_at]
                for stale in expired or list(self._tokens)[: max(1, self.max_size // 20)]:
                    self._tokens.pop(stale, None)
            self._tokens[key] = CachedToken(token, expires_at, minted_at, jti)

    def clear(self):
        with self._lock:
            self._tokens.clear()

    def __len__(self):
        return len(self._tokens)
