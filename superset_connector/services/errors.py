"""Typed Superset errors. str(error) is a message for an Odoo user: what is wrong and,
where known, how to fix it. No secret ever goes into one."""


class SupersetError(Exception):
    def __init__(self, message, fix=None, status=None, detail=""):
        super().__init__(message)
        self.message = message
        self.fix = fix
        self.status = status
        self.detail = detail  # Superset's own words, when it gave any

    def __str__(self):
        return f"{self.message} {self.fix}" if self.fix else self.message


class SupersetUnavailable(SupersetError):
    """Superset cannot be reached, timed out, answered 5xx, or the breaker is open."""


class SupersetAuthError(SupersetError):
    """Superset rejected the service account's credentials."""


class SupersetPermissionError(SupersetError):
    """The service account lacks a permission (HTTP 403)."""


class SupersetNotFound(SupersetError):
    """The object does not exist in Superset (HTTP 404)."""


class SupersetBadResponse(SupersetError):
    """Superset answered, but not as expected (4xx, not JSON, missing fields)."""
