"""Superset's answers while its Redis is down, said without Redis' address.

With Redis unreachable, Superset 6.1 answers chart-data and other API calls with HTTP 500
and redis-py's or Celery's own words ("Error 111 connecting to 127.0.0.1:6379. Connection
refused.", "Retry limit exceeded while trying to reconnect to the Celery redis result
store backend"), which an embedded dashboard shows to every viewer: an internal address,
and nothing the viewer can act on. This hook (FLASK_APP_MUTATOR in the stack's superset_config.py) puts
the same answer in the viewer's terms, with 503 (try again), and logs the original.
"""

import json
import logging
import re

_logger = logging.getLogger(__name__)

# What redis-py says when it cannot reach or keep its server (redis/connection.py), and
# Celery's Redis result backend ("... reconnect to the Celery redis result store backend").
REDIS_WORDS = re.compile(r"(connecting to|reading from|writing to) \S+:\d+|Connection closed by server|\bredis\b", re.I)
MESSAGE = "The dashboard server's cache is not answering right now (it may be restarting). Try again in a moment."


def _said(payload):
    """Every message string of a Superset error answer: message, errors[].message."""
    if isinstance(payload, dict):
        if isinstance(payload.get("message"), str):
            yield payload["message"]
        for error in payload.get("errors") or ():
            if isinstance(error, dict) and isinstance(error.get("message"), str):
                yield error["message"]


def _plain(response):
    if response.status_code < 500 or response.mimetype != "application/json" or response.direct_passthrough:
        return response
    try:
        payload = json.loads(response.get_data())
    except ValueError:
        return response
    if not any(REDIS_WORDS.search(message) for message in _said(payload)):
        return response
    _logger.warning("Redis unavailable, answered as such: %s", response.get_data(as_text=True)[:500])
    response.set_data(
        json.dumps(
            {
                "message": MESSAGE,
                "errors": [{"message": MESSAGE, "error_type": "GENERIC_BACKEND_ERROR", "level": "error", "extra": {}}],
            }
        )
    )
    response.status_code = 503
    return response


def install(app):
    """FLASK_APP_MUTATOR: every answer passes through _plain."""
    app.after_request(_plain)
