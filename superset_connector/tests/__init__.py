from . import (
    test_connection_check,
    test_guest_token,
    test_js,
    test_menus_http,
    test_secrets,
    test_security,
    test_superset_sync,
)
