"""Users whose language is French get the addon's messages in French: those written in
the models and those the services write in English (services/text.py), values and all.
Faults are caused for real: a Superset URL where nothing listens."""

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import HttpCase, tagged

from .common import SupersetCommonMixin

DEAD_URL = "http://127.0.0.1:9"  # the discard port: nothing listens there


@tagged("post_install", "-at_install")
class TestFrenchUser(SupersetCommonMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_superset_fixtures()
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.env["ir.module.module"]._load_module_terms(["superset_connector"], ["fr_FR"])
        (cls.user_a | cls.manager).lang = "fr_FR"
        cls.configure_superset(url=DEAD_URL, token_mode="api", breaker_threshold=5)
        cls.dashboard = cls.dash_everyone
        cls.dashboard.embedded_uuid = "00000000-0000-4000-8000-000000000001"

    def setUp(self):
        super().setUp()
        self.configure_superset()  # a fresh client: no breaker opened by another test
        self.env["superset.connector"]._forget_connections()

    def refusal(self, user):
        """The guest_token route's refusal, asked over HTTP as the web client does (the
        language comes from the user's session)."""
        self.authenticate(user.login, user.login)
        route = f"/superset_connector/dashboards/{self.dashboard.id}/guest_token"
        return self.make_jsonrpc_request(route, {})["error"]

    def test_superset_down_is_explained_in_french(self):
        """A French user reads, in French, that the dashboard server does not answer; a
        French manager reads the client's message (a service) and its reason, both
        translated, the URL kept."""
        refused = self.refusal(self.user_a)
        self.assertEqual(refused["code"], "superset_unavailable")
        self.assertEqual(
            refused["message"],
            "Le serveur des tableaux de bord (Superset) ne répond pas pour le moment. Réessayez dans quelques "
            "minutes ; si cela continue, prévenez votre administrateur.",
        )
        refused = self.refusal(self.manager)
        self.assertEqual(refused["code"], "superset_unavailable")
        self.assertEqual(
            refused["message"],
            f"Superset est indisponible à l'adresse {DEAD_URL} : connexion refusée (rien n'écoute à cette adresse). "
            "Vérifiez que Superset est en cours d'exécution et que cette URL est joignable depuis le serveur Odoo.",
        )

    def test_the_same_fault_in_english_for_an_english_user(self):
        """Denied path of the translation: the language is the user's, not the last one used."""
        self.refusal(self.user_a)
        self.assertEqual(self.user_b.lang, "en_US")
        self.user_b.company_ids = [Command.link(self.company_a.id)]
        refused = self.refusal(self.user_b)
        self.assertTrue(
            refused["message"].startswith("The dashboard server (Superset) is not answering right now."), refused
        )

    def test_a_clause_that_cannot_be_saved_says_why_in_french(self):
        env = self.env(context={"lang": "fr_FR"})
        with self.assertRaises(ValidationError) as caught:
            env["superset.rls.rule"].create({"dashboard_id": self.dashboard.id, "clause": "owner_id = {login}"})
        self.assertEqual(
            str(caught.exception),
            "Clause 'owner_id = {login}' non valide : Variable {login} inconnue : utilisez l'une de celles-ci : "
            "{company_ids}, {user_id}, {partner_id}, {commercial_partner_id}.",
        )

    def test_a_setting_that_cannot_be_saved_says_why_in_french(self):
        env = self.env(context={"lang": "fr_FR"})
        with self.assertRaises(ValidationError) as caught:
            env["res.config.settings"].create({"superset_token_ttl": 5}).execute()
        self.assertEqual(
            str(caught.exception),
            "La durée de vie des jetons doit être d'au moins 30 secondes (valeur actuelle : 5) : "
            "un tableau de bord renouvelle son jeton peu avant son expiration.",
        )

    def test_connection_check_in_french(self):
        connector = self.env["superset.connector"].with_context(lang="fr_FR")
        notification = connector._connection_notification(connector._check_connection(connector._get_settings()))
        params = notification["params"]
        self.assertEqual(params["title"], "Connexion à Superset : 1 problème(s)")
        self.assertTrue(
            params["message"].startswith(
                f"Odoo ne parvient pas à joindre Superset à l'adresse {DEAD_URL} : "
                "connexion refusée (rien n'écoute à cette adresse)."
            ),
            params["message"],
        )

    def test_managers_only_filter_works_with_the_group_name_translated(self):
        """The filter finds unpublished dashboards by the group itself, not its (translated) name."""
        manager = self.env.ref("superset_connector.group_superset_manager")
        self.assertEqual(manager.with_context(lang="fr_FR").name, "Manager Superset")
        Dashboard = self.env["superset.dashboard"].with_context(lang="fr_FR")
        unpublished = Dashboard.create({"name": "New", "superset_dashboard_id": 9101, "group_ids": manager.ids})
        shared = Dashboard.create(
            {"name": "Shared", "superset_dashboard_id": 9102, "group_ids": (manager | self.sales_group).ids}
        )
        found = Dashboard.search([("managers_only", "=", True)])
        self.assertIn(unpublished, found)
        self.assertNotIn(shared, found)
        self.assertNotIn(self.dash_everyone, found)
        self.assertIn(shared, Dashboard.search([("managers_only", "=", False)]))
        self.assertNotIn(unpublished, Dashboard.search([("managers_only", "!=", True)]))

    def test_the_web_client_gets_the_dashboard_screen_in_french(self):
        """The JavaScript terms (the dashboard screen's own messages) reach the browser translated."""
        response = self.url_open("/web/webclient/translations/test?mods=superset_connector&lang=fr_FR")
        messages = {
            message["id"]: message["string"] for message in response.json()["modules"]["superset_connector"]["messages"]
        }
        self.assertEqual(
            messages["The dashboard's access could not be renewed. Retry."],
            "L'accès au tableau de bord n'a pas pu être renouvelé. Réessayez.",
        )
