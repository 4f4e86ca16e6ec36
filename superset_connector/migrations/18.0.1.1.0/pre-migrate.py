"""18.0.1.1.0: every guest token carries the company rule for all datasets, so the
per-dataset copies of it the sync used to create are gone (a rule a manager edited
stopped being the sync's and stays)."""


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        "DELETE FROM superset_rls_rule WHERE is_default IS TRUE AND clause = %s",
        ["company_id IN ({company_ids})"],
    )
