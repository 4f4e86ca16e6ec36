"""Why a dashboard cannot be shown: the codes the guest-token, diagnose and filters routes
answer with, in one place. The browser receives the code and whether asking again may help
(`retryable`), never a list of codes of its own."""

# The dashboard and the user.
NOT_FOUND = "not_found"  # no such dashboard, or archived
ACCESS_DENIED = "access_denied"  # the user's groups or companies do not offer it
COMPANY_NOT_ACTIVE = "company_not_active"  # offered in a company the switcher does not have on
NO_COMPANY = "no_company"  # none of the active companies is one the user may see
NOT_READY = "not_ready"  # not synced from Superset yet (no embedded uuid)
BAD_RULE = "bad_rule"  # one of the dashboard's clause templates cannot be rendered
# Its filters (the filters routes).
FILTERS_INVALID = "filters_invalid"  # the filters sent do not fit the dashboard's native filters
RECORD_NOT_LINKED = "record_not_linked"  # the dashboard does not open from that record (or it has no value)
RECORD_NOT_ALLOWED = "record_not_allowed"  # the user may not read the record
# The configuration and Superset.
NOT_CONFIGURED = "not_configured"
SUPERSET_UNAVAILABLE = "superset_unavailable"
SUPERSET_ERROR = "superset_error"
EMBEDDING_FAILED = "embedding_failed"  # the diagnosis: what keeps Superset's page from showing
INTERNAL_ERROR = "internal_error"

# Refusals that may go away by themselves: the browser keeps renewing the token.
RETRYABLE = frozenset({SUPERSET_UNAVAILABLE, SUPERSET_ERROR, INTERNAL_ERROR})


class Refused(Exception):
    """A token (or a diagnosis) is refused. code: one of the above; message: for the
    user, in their terms; detail: what a Superset Manager and the audit log need
    (Superset's own words, its URL, the service account), when it says more."""

    def __init__(self, code, message, detail=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.detail = detail or message

    def answer(self, for_manager=False):
        """The route's {"error": ...} for this refusal."""
        return {
            "error": {
                "code": self.code,
                "message": self.detail if for_manager else self.message,
                "retryable": self.code in RETRYABLE,
            }
        }
