"""The services' messages (services/text.py) in the current user's language."""

from ..services.errors import SupersetError
from ..services.text import render


def user_text(env, value):
    """value in env's language: a service Text or plain str, a SupersetError (its
    message and fix), or another exception raised with one Text (ClauseTemplateError)."""
    if isinstance(value, SupersetError):
        value = value.text
    elif isinstance(value, Exception):
        value = value.args[0] if len(value.args) == 1 else str(value)
    # env._ takes the module whose terms it uses from its caller, Text.render: the addon.
    return render(value, env._)
