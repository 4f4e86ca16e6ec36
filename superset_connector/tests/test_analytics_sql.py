import base64

from psycopg2.extensions import encrypt_password

from odoo.tests import BaseCase, TransactionCase, tagged

from ..services import analytics_sql

TEMPLATE = """-- header; with a semicolon and 100% in a comment
SELECT a,
--@if sale_margin
    margin
--@else
    NULL AS margin
--@endif
FROM t;
"""


@tagged("post_install", "-at_install")
class TestAnalyticsSql(BaseCase):
    """The pure helpers of the analytics layer: SQL file rendering and the role's verifier."""

    def test_conditional_blocks_follow_installed_modules(self):
        """An --@if block is kept when its module is installed, its --@else part otherwise;
        comment lines are dropped so they may hold any character."""
        with_margin = analytics_sql.render(TEMPLATE, {"sale", "sale_margin"})
        without = analytics_sql.render(TEMPLATE, {"sale"})
        self.assertIn("    margin", with_margin)
        self.assertNotIn("NULL AS margin", with_margin)
        self.assertIn("NULL AS margin", without)
        self.assertNotIn("header", without)
        self.assertEqual(analytics_sql.referenced_modules(TEMPLATE), {"sale_margin"})

    def test_malformed_files_are_refused(self):
        """Nested or unterminated blocks, a second statement, '%' or an empty file are errors."""
        bad = [
            "--@if a\n--@if b\nSELECT 1\n--@endif\n--@endif",
            "--@if a\nSELECT 1",
            "--@else\nSELECT 1",
            "--@if two words\nSELECT 1\n--@endif",
            "SELECT 1; DROP TABLE res_users",
            "SELECT 'x%' AS a",
            "-- only a comment",
        ]
        for text in bad:
            with self.subTest(text=text), self.assertRaises(analytics_sql.SqlFileError):
                analytics_sql.render(text, {"a"})
        self.assertEqual(analytics_sql.render("SELECT 1;\n", set()), "SELECT 1")

    def test_column_lists_accept_plain_identifiers_only(self):
        """Unique keys and indexes name plain columns: no expression, quote or repetition."""
        self.assertEqual(analytics_sql.columns(" company_id, month "), ["company_id", "month"])
        self.assertEqual(
            analytics_sql.index_column_lists("month\n\nproduct_id, month"), [["month"], ["product_id", "month"]]
        )
        for text in ["lower(name)", 'a"b', "a, a", "Month", "a b"]:
            with self.subTest(text=text), self.assertRaises(analytics_sql.SqlFileError):
                analytics_sql.columns(text)


@tagged("post_install", "-at_install")
class TestAnalyticsScram(TransactionCase):
    def test_scram_verifier_matches_libpq(self):
        """The verifier computed in Python equals libpq's (PQencryptPasswordConn) for the
        same salt and iteration count, so PostgreSQL accepts the password it stands for."""
        reference = encrypt_password("s3cret pässword", "whoever", self.env.cr._cnx, "scram-sha-256")
        iterations, salt = reference.split("$")[1].split(":")
        ours = analytics_sql.scram_sha256_verifier("s3cret pässword", base64.b64decode(salt), int(iterations))
        self.assertEqual(ours, reference)
        self.assertNotEqual(
            analytics_sql.scram_sha256_verifier("other", base64.b64decode(salt), int(iterations)), reference
        )
        self.assertNotIn("s3cret", ours)
