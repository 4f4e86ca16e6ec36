from . import test_menus_http, test_security
