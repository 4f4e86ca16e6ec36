"""Pure Python helpers (no odoo import): Superset REST client, guest tokens, RLS."""
