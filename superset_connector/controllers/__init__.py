from . import guest_token
