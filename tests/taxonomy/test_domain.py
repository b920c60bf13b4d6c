"""The catalogue's structure rules and the identification engine, without a database."""

from __future__ import annotations

import pytest

from seagreen.taxonomy.domain import (
    EXCLUSIONS,
    BookSummary,
    Decision,
    Engine,
    Tier,
    VersionStatus,
    format_fen,
    parse_amount_fen,
    parse_catalogue,
)
from tests.factories.taxonomy import shipped_catalogue, shipped_rows


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(shipped_catalogue())


def parse(rows):
    numbered = [(number, row) for number, row in enumerate(rows, start=2)]
    return parse_catalogue(numbered, code="test-v1", name="test", status=VersionStatus.RECONSTRUCTION)


def test_the_shipped_reconstruction_has_the_7_24_85_structure_with_72_blue_and_13_light_blue():
    catalogue = shipped_catalogue()
    assert (len(catalogue.level1), len(catalogue.level2), len(catalogue.items)) == (7, 24, 85)
    tiers = [item.tier for item in catalogue.items]
    assert (tiers.count(Tier.BLUE), tiers.count(Tier.LIGHT_BLUE)) == (72, 13)
    assert all(item.national and item.mapping("2019") for item in catalogue.items if item.tier is Tier.BLUE)
    assert all(item.source.startswith("RECONSTRUCTION") for item in catalogue.items)
    assert catalogue.is_reconstruction


def test_a_light_blue_item_is_never_a_national_green_item():
    catalogue = shipped_catalogue()
    assert not any(item.national_green for item in catalogue.items if item.tier is Tier.LIGHT_BLUE)
    assert all(item.national_green for item in catalogue.items if item.tier is Tier.BLUE)


def test_refuses_a_blue_item_without_a_national_mapping_naming_its_row():
    rows = shipped_rows()
    rows[3]["national_2019"] = ""
    catalogue, errors = parse(rows)
    assert catalogue is None
    assert [(e.row, e.field) for e in errors] == [(5, "national_2019")]
    assert "national green catalogue" in errors[0].reason


def test_refuses_a_light_blue_item_with_a_national_mapping():
    rows = shipped_rows()
    light = next(i for i, row in enumerate(rows) if row["tier"] == "light-blue")
    rows[light]["national_2024"] = "1.1.1 something"
    _, errors = parse(rows)
    assert [(e.row, e.field) for e in errors] == [(light + 2, "national_2024")]


def test_refuses_duplicate_codes_and_wrong_counts():
    rows = shipped_rows()
    rows[10]["code"] = rows[9]["code"]
    _, errors = parse(rows)
    assert any(e.row == 12 and e.field == "code" and "repeats row 11" in e.reason for e in errors)
    _, errors = parse(shipped_rows()[:-1])
    assert {e.reason for e in errors} >= {
        "84 level-3 items, the catalogue has 85",
        "12 light-blue items, the catalogue has 13",
    }


def test_refuses_an_item_under_the_wrong_parent_and_inconsistent_level_names():
    rows = shipped_rows()
    rows[0]["code"] = "2.1.9"
    rows[1]["level2_zh"] = "别的名字"
    _, errors = parse(rows)
    fields = {(e.row, e.field) for e in errors}
    assert (2, "code") in fields
    assert (3, "level2_zh") in fields


def test_offshore_wind_is_blue_with_keyword_and_industry_code_evidence(engine):
    result = engine.classify("华能山东半岛北海上风电场项目，装机30万千瓦", "4415")
    assert result.decision is Decision.BLUE
    top = result.top
    assert top is not None and top.item.code == "4.2.1"
    assert "海上风电" in top.matched_keywords
    assert top.code_match == "4415"
    assert top.national_green
    assert "行业代码匹配 4415" in result.evidence_zh()


def test_shellfish_seaweed_farming_is_light_blue_and_not_national_green(engine):
    result = engine.classify("桑沟湾海带与牡蛎多营养层次综合养殖")
    assert result.decision is Decision.LIGHT_BLUE
    assert result.chosen is not None and not result.chosen.national_green


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("围填海造地工程，新增建设用地800亩", "reclamation"),
        ("购置采砂船开采近海海砂", "sea_sand"),
        ("购置3艘大马力拖网渔船，扩大近海捕捞产能", "fleet_expansion"),
        ("LNG接收站及储罐建设项目", "fossil_terminal"),
        ("30万吨级原油泊位改扩建工程", "fossil_terminal"),
        ("海上油气平台建造", "offshore_oil_gas"),
        ("在海洋自然保护区核心区内建设旅游码头", "habitat_harm"),
    ],
)
def test_marine_sounding_unsustainable_activities_are_excluded_with_the_rule_named(engine, text, rule):
    result = engine.classify(text)
    assert result.decision is Decision.NOT_BLUE
    assert rule in {e.code for e in result.exclusions}
    assert "排除规则" in result.evidence_zh()


def test_efficiency_gains_lift_the_fleet_exclusion(engine):
    result = engine.classify("淘汰老旧木质渔船，更新建造节能型玻璃钢渔船")
    assert not result.exclusions
    assert result.decision is Decision.LIGHT_BLUE
    assert result.chosen is not None and result.chosen.item.code == "3.3.2"


def test_ordinary_processing_without_the_items_qualifier_is_not_blue(engine):
    result = engine.classify("水产品冷冻加工厂扩建生产线，增加产能", "1361")
    assert result.decision is Decision.NOT_BLUE
    retrofit_item = next(c for c in result.candidates if c.item.code == "3.2.1")
    assert not retrofit_item.qualified
    assert "未见条目要求的门槛词" in retrofit_item.evidence_zh()
    retrofit = engine.classify("水产品冷冻加工厂锅炉节能改造和余热回收利用", "1361")
    assert retrofit.decision is Decision.BLUE
    assert retrofit.chosen is not None and retrofit.chosen.qualifier


def test_every_exclusion_rule_has_a_chinese_and_english_name():
    assert all(rule.name_zh and rule.name_en and rule.patterns for rule in EXCLUSIONS)


def test_amounts_are_exact_fen():
    assert parse_amount_fen("1,200,000.00") == 120_000_000
    assert parse_amount_fen("300000.5元") == 30_000_050
    assert parse_amount_fen("") is None
    for bad in ("12.345", "abc", "-1", "NaN"):
        with pytest.raises(ValueError):
            parse_amount_fen(bad)
    assert format_fen(30_000_050) == "300000.50"


def test_the_summary_keeps_blue_and_light_blue_balances_apart_by_level1(engine):
    summary = BookSummary()
    summary.add(engine.classify("海上风电场建设", "4415"), 100)
    summary.add(engine.classify("海上风电场运维", "4415"), 250)
    summary.add(engine.classify("桑沟湾海带与牡蛎多营养层次综合养殖"), 7)
    summary.add(engine.classify("海鲜酒楼装修"), 1000)
    body = summary.as_dict()
    assert (body["blue"], body["light_blue"], body["not_blue"]) == (2, 1, 1)
    assert body["blue_amount"] == "3.50" and body["light_blue_amount"] == "0.07"
    by_code = {row["code"]: row for row in body["by_level1"]}
    assert by_code["4"]["blue_amount"] == "3.50" and by_code["4"]["light_blue_count"] == 0
    assert by_code["1"]["light_blue_amount"] == "0.07" and by_code["1"]["blue_count"] == 0
