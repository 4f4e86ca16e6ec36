"""What users read: the services' messages in their language, service errors as the
UserErrors Odoo shows, and the notification an action answers with."""

import contextlib

from odoo.exceptions import UserError

from ..services.errors import SupersetError
from ..services.text import render

RELOAD = {"type": "ir.actions.client", "tag": "soft_reload"}
CLOSE = {"type": "ir.actions.act_window_close"}


def user_text(env, value):
    """value in env's language: a service Text or plain str, a SupersetError (its
    message and fix), or another exception raised with one Text (ClauseTemplateError)."""
    if isinstance(value, SupersetError):
        value = value.text
    elif isinstance(value, Exception):
        value = value.args[0] if len(value.args) == 1 else str(value)
    # env._ takes the module whose terms it uses from its caller, Text.render: the addon.
    return render(value, env._)


@contextlib.contextmanager
def user_errors(env, *kinds):
    """Service errors raised in the block (SupersetError, and the other kinds given) reach
    the user as a UserError in their language, the original chained for the log."""
    try:
        yield
    except (SupersetError, *kinds) as exc:
        raise UserError(user_text(env, exc)) from exc


def notification(message, kind="success", title=None, sticky=None, then=None):
    """The client action that shows a notification; sticky by default for warnings and
    errors, which the user must be able to read; `then`: the action that follows."""
    params = {
        "message": message,
        "type": kind,
        "sticky": kind in ("warning", "danger") if sticky is None else sticky,
    }
    if title:
        params["title"] = title
    if then:
        params["next"] = then
    return {"type": "ir.actions.client", "tag": "display_notification", "params": params}
