"""Typed Superset errors. str(error) is a message for an Odoo user: what is wrong and,
where known, how to fix it; error.text is the same as a Text the models render in the
user's language. No secret ever goes into one."""

from .text import Text


class SupersetError(Exception):
    def __init__(self, message, fix=None, status=None, detail=""):
        super().__init__(message)
        self.message = message
        self.fix = fix
        self.status = status
        self.detail = detail  # Superset's own words, when it gave any

    @property
    def text(self):
        if not self.fix:
            return Text("%(message)s", {"message": self.message})
        return Text("%(message)s %(fix)s", {"message": self.message, "fix": self.fix})

    def __str__(self):
        return str(self.text)


class SupersetUnavailable(SupersetError):
    """Superset cannot be reached, timed out, answered 5xx, or the breaker is open;
    reason: why, in a few words, when known."""

    def __init__(self, message, fix=None, status=None, detail="", reason=None):
        super().__init__(message, fix, status, detail)
        self.reason = reason


class SupersetAuthError(SupersetError):
    """Superset rejected the service account's credentials."""


class SupersetPermissionError(SupersetError):
    """The service account lacks a permission (HTTP 403)."""


class SupersetNotFound(SupersetError):
    """The object does not exist in Superset (HTTP 404)."""


class SupersetBadResponse(SupersetError):
    """Superset answered, but not as expected (4xx, not JSON, missing fields)."""
