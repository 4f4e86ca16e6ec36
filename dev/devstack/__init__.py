"""Local stack for superset_connector: PostgreSQL, Odoo 18 and Superset 6.1.

Used by ``make demo`` / ``make test`` (through ``python -m devstack``) and by the
end-to-end test fixtures. Standard library only: it runs before any venv exists.
"""
