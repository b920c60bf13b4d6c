"""The translation catalogue: every text in both languages, every key a template uses defined."""

from __future__ import annotations

import re
from pathlib import Path

from seagreen.web.i18n import catalogue, normalise_locale, translate
from seagreen.web.rendering import TEMPLATES_DIR

SRC = Path(__file__).resolve().parents[2] / "src" / "seagreen"
LITERAL_KEY = re.compile(r"""\bt\(\s*['"]([a-z0-9_.]+)['"]""")


def test_every_entry_has_chinese_and_english():
    missing = [key for key, texts in catalogue().items() if not texts["zh-CN"] or not texts["en"]]
    assert missing == []


def test_every_key_a_template_or_module_names_exists():
    used: set[str] = set()
    for path in [*TEMPLATES_DIR.rglob("*.html"), *SRC.rglob("*.py")]:
        used.update(LITERAL_KEY.findall(path.read_text(encoding="utf-8")))
    assert used, "the scan found no keys at all"
    assert sorted(used - catalogue().keys()) == []


def test_chinese_is_the_default_and_english_is_chosen_explicitly():
    assert normalise_locale(None) == "zh-CN"
    assert normalise_locale("en-GB") == "en"
    assert normalise_locale("fr") == "zh-CN"
    assert translate("nav.home") == "首页"
    assert translate("nav.home", "en") == "Home"
    assert (
        translate("home.ledger_stats", "en", transfers=3, accounts=2)
        == "The ledger holds 3 transfers in 2 accounts."
    )
    assert translate("no.such.key", "en") == "no.such.key"


def test_module_catalogues_merge_and_refuse_a_key_defined_twice(tmp_path, monkeypatch):
    from seagreen.web import i18n

    base = tmp_path / "messages.toml"
    base.write_text('[nav.home]\nzh = "首页"\nen = "Home"\n', encoding="utf-8")
    modules = tmp_path / "messages"
    modules.mkdir()
    (modules / "a.toml").write_text('[a.title]\nzh = "甲"\nen = "A"\n', encoding="utf-8")
    monkeypatch.setattr(i18n, "CATALOGUE_FILE", base)
    monkeypatch.setattr(i18n, "MODULE_CATALOGUES", modules)
    i18n.catalogue.cache_clear()
    try:
        assert i18n.catalogue()["a.title"] == {"zh-CN": "甲", "en": "A"}
        (modules / "b.toml").write_text('[nav.home]\nzh = "家"\nen = "Home"\n', encoding="utf-8")
        i18n.catalogue.cache_clear()
        import pytest

        with pytest.raises(ValueError, match=r"b\.toml.*nav\.home"):
            i18n.catalogue()
    finally:
        i18n.catalogue.cache_clear()
