"""services/superset_locale.py: the locale Superset is asked for, per Odoo language."""

import pytest

from ..superset_locale import superset_locale


@pytest.mark.parametrize(
    ("odoo_lang", "expected"),
    [
        ("fr_FR", "fr"),
        ("fr_BE", "fr"),
        ("en_US", "en"),
        ("de_CH", "de"),
        ("pt_BR", "pt_BR"),
        ("pt_PT", "pt"),
        ("zh_TW", "zh_TW"),
        ("zh_CN", "zh"),
        ("sr@latin", "sr"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_superset_locale(odoo_lang, expected):
    assert superset_locale(odoo_lang) == expected
