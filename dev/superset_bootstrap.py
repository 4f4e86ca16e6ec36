"""Run with the Superset venv's python after `superset db upgrade` and `superset init`.

Creates the admin user and the minimal role guest tokens run as (GUEST_ROLE_NAME), and
lets anonymous requests read Superset's language packs (an embedded page fetches its
translations without the guest token).
Idempotent: running it again changes nothing.
"""

import sys

from superset.app import create_app

# The permissions an embedded dashboard needs, and no more (see ../shared/DESIGN.md).
GUEST_PERMISSIONS = [
    ("can_read", "Dashboard"),
    ("can_read", "Chart"),
    ("can_read", "Dataset"),
    ("can_read", "CssTemplate"),
    ("can_read", "Theme"),
    ("can_read", "CurrentUserRestApi"),
    ("can_read", "security"),
    ("can_read", "SecurityRestApi"),
    ("can_read", "EmbeddedDashboard"),
    ("can_read", "DashboardFilterStateRestApi"),
    ("can_write", "DashboardFilterStateRestApi"),
    ("can_drill", "Dashboard"),
    ("can_get_drill_info", "Dataset"),
    ("can_log", "Superset"),
    # With GLOBAL_ASYNC_QUERIES the embedded page polls /api/v1/async_event/ for its
    # charts' results: without this, a guest's charts never load.
    ("can_list", "AsyncEventsRestApi"),
]
# The embedded page's translations (/superset/language_pack/<locale>/), nothing else.
PUBLIC_PERMISSIONS = [("can_language_pack", "Superset")]


def main():
    username, password, role_name = sys.argv[1], sys.argv[2], sys.argv[3]
    app = create_app()
    with app.app_context():
        from superset import security_manager as sm
        from superset.extensions import db

        if sm.find_user(username=username) is None:
            admin = sm.find_role("Admin")
            if not sm.add_user(username, "Superset", "Admin", f"{username}@example.com", admin, password=password):
                sys.exit(f"could not create the Superset user {username}")
        missing = []
        public = app.config["AUTH_ROLE_PUBLIC"]
        for name, permissions in ((role_name, GUEST_PERMISSIONS), (public, PUBLIC_PERMISSIONS)):
            role = sm.find_role(name) or sm.add_role(name)
            for permission, view in permissions:
                pvm = sm.find_permission_view_menu(permission, view)
                if pvm is None:
                    missing.append(f"{permission} on {view}")
                elif pvm not in role.permissions:
                    sm.add_permission_role(role, pvm)
        db.session.commit()
        if missing:
            sys.exit(f"permissions missing in this Superset: {', '.join(missing)}")
    print(f"bootstrap ok: user {username}, role {role_name}")


if __name__ == "__main__":
    main()
