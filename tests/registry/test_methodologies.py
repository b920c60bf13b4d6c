"""Methodologies against the reference coefficients, their receipts, and the inputs they refuse."""

from __future__ import annotations

from decimal import Decimal

import pytest

from seagreen.registry import service
from seagreen.registry.domain.receipts import issuable_tonnes, result_tonnes
from seagreen.registry.errors import InputsInvalid, MethodologyNotFound
from tests.factories.registry import oyster_inputs, seagrass_inputs


def calc(methodology: str, inputs: dict) -> dict:
    return service.calculate(None, methodology, inputs).as_json()


def problems(methodology: str, inputs: dict) -> list[dict[str, str]]:
    with pytest.raises(InputsInvalid) as caught:
        service.calculate(None, methodology, inputs)
    return caught.value.details["errors"]


def step(receipt: dict, name: str) -> Decimal:
    return Decimal(next(s["value"] for s in receipt["steps"] if s["name"] == name))


# TV-10 of the reference notes: t CO2 per tonne of fresh harvest with the default coefficients.
@pytest.mark.parametrize(
    ("methodology", "species", "per_tonne"),
    [
        ("shellfish-csc", "oyster", "0.3515"),
        ("shellfish-csc", "scallop", "0.3728"),
        ("shellfish-csc", "mussel", "0.4009"),
        ("algae-csc", "kelp", "0.2288"),
    ],
)
def test_one_tonne_of_harvest_removes_the_reference_amount_of_co2(methodology, species, per_tonne):
    receipt = calc(
        methodology, {"culture": "non-fed", "harvests": [{"species": species, "fresh_weight_t": "1000"}]}
    )
    assert (Decimal(receipt["result_tco2e"]) / 1000).quantize(Decimal("0.0001")) == Decimal(per_tonne)


def test_oyster_carbon_follows_the_formula_step_by_step():
    receipt = calc("shellfish-csc", oyster_inputs("1"))
    assert step(receipt, "harvests[0].dry_weight") == Decimal("0.6510")
    assert step(receipt, "harvests[0].tissue_carbon") == Decimal("0.6510") * Decimal("0.0614") * Decimal(
        "0.4598"
    )
    assert step(receipt, "harvests[0].shell_carbon") == Decimal("0.6510") * Decimal("0.9386") * Decimal(
        "0.1268"
    )
    assert receipt["result_tco2e"] == "0.351"  # 0.3514767 t, to the kilogram, rounded down
    assert receipt["issuable_t"] == 0
    assert any("shell carbon" in warning for warning in receipt["warnings"])


def test_excluding_shell_carbon_leaves_only_the_soft_tissue():
    inputs = {**oyster_inputs("1000"), "include_shell_carbon": False}
    receipt = calc("shellfish-csc", inputs)
    assert step(receipt, "harvests[0].shell_carbon") == 0
    expected = Decimal("651.0") * Decimal("0.0614") * Decimal("0.4598") * 44 / 12
    assert Decimal(receipt["result_tco2e"]) == result_tonnes(expected)
    assert not receipt["warnings"]


def test_site_measured_coefficients_override_the_defaults_one_by_one():
    inputs = oyster_inputs("1000")
    inputs["harvests"][0]["coefficients"] = {"tissue_carbon": "0.40"}
    inputs["harvests"][0]["coefficient_source"] = "三沙湾实测 2022"
    receipt = calc("shellfish-csc", inputs)
    assert step(receipt, "harvests[0].tissue_carbon") == Decimal("651.0") * Decimal("0.0614") * Decimal(
        "0.40"
    )
    assert step(receipt, "harvests[0].shell_carbon") == Decimal("651.0") * Decimal("0.9386") * Decimal(
        "0.1268"
    )
    assert "site-measured: tissue_carbon" in receipt["steps"][0]["note"]


def test_harvests_of_several_species_add_up():
    both = calc(
        "shellfish-csc",
        {
            "culture": "non-fed",
            "harvests": [
                {"species": "oyster", "fresh_weight_t": "10"},
                {"species": "mussel", "fresh_weight_t": "20"},
            ],
        },
    )
    alone = [
        calc("shellfish-csc", oyster_inputs("10")),
        calc(
            "shellfish-csc",
            {"culture": "non-fed", "harvests": [{"species": "mussel", "fresh_weight_t": "20"}]},
        ),
    ]
    assert step(both, "total.carbon") == sum(step(r, "total.carbon") for r in alone)


def test_other_species_use_their_groups_generic_row_with_a_warning():
    receipt = calc(
        "algae-csc", {"culture": "non-fed", "harvests": [{"species": "other", "fresh_weight_t": "10"}]}
    )
    assert step(receipt, "harvests[0].carbon") == Decimal("10") * Decimal("0.2000") * Decimal("0.2776")
    assert any("generic default" in warning for warning in receipt["warnings"])


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"fresh_weight_t": "-5"}, "harvests[0].fresh_weight_t", "must not be negative"),
        ({"fresh_weight_t": None}, "harvests[0].fresh_weight_t", "is missing"),
        ({"fresh_weight_t": "0"}, "harvests[0].fresh_weight_t", "more than zero"),
        ({"fresh_weight_t": "lots"}, "harvests[0].fresh_weight_t", "not a number"),
        ({"species": "abalone"}, "harvests[0].species", "unknown species"),
        ({"species": "kelp"}, "harvests[0].species", "outside the scope of shellfish-csc"),
        (
            {"coefficients": {"dry_wet_ratio": "65.1"}, "coefficient_source": "lab"},
            "harvests[0].coefficients.dry_wet_ratio",
            "looks like a percentage",
        ),
        (
            {"coefficients": {"tissue_share": "0.5"}, "coefficient_source": "lab"},
            "harvests[0].coefficients",
            "not 1",
        ),
        ({"coefficients": {"tissue_carbon": "0.4"}}, "harvests[0].coefficient_source", "is missing"),
        (
            {"coefficients": {"carbon": "0.4"}, "coefficient_source": "lab"},
            "harvests[0].coefficients.carbon",
            "not a field",
        ),
        ({"weight": "1"}, "harvests[0].weight", "not a field"),
    ],
)
def test_shellfish_refuses_bad_inputs_naming_the_field(change, field, reason):
    harvest = {"species": "oyster", "fresh_weight_t": "10", **change}
    found = problems(
        "shellfish-csc",
        {"culture": "non-fed", "harvests": [{k: v for k, v in harvest.items() if v is not None}]},
    )
    assert any(p["field"] == field and reason in p["reason"] for p in found), found


def test_fed_culture_is_outside_the_methods_scope():
    found = problems(
        "shellfish-csc", {"culture": "fed", "harvests": [{"species": "oyster", "fresh_weight_t": "1"}]}
    )
    assert found == [{"field": "culture", "reason": found[0]["reason"]}] and "non-fed" in found[0]["reason"]


def test_every_problem_of_the_inputs_is_reported_at_once():
    found = problems(
        "algae-csc",
        {
            "culture": "non-fed",
            "harvests": [
                {"species": "oyster", "fresh_weight_t": "1"},
                {"species": "kelp", "fresh_weight_t": "-1"},
            ],
        },
    )
    assert {p["field"] for p in found} == {"harvests[0].species", "harvests[1].fresh_weight_t"}


def test_the_rongcheng_demo_reproduces_the_published_338_7_tonnes():
    receipt = calc("seagrass-restoration", seagrass_inputs())
    assert receipt["result_tco2e"] == "338.700"
    assert receipt["issuable_t"] == 338
    assert step(receipt, "strata[0].area") == Decimal(200) / 15
    assert step(receipt, "uncertainty_factor") == Decimal("0.95")  # 1 - 0.25 + 0.20


def test_seagrass_follows_the_vm0033_structure():
    receipt = calc("seagrass-restoration", seagrass_inputs())
    area = Decimal(200) / 15
    insitu = -Decimal("2.26374") * 44 / 12
    assert step(receipt, "strata[0].GHG_insitu_CO2") == insitu
    assert step(receipt, "strata[0].deduction_alloch") == insitu * Decimal("0.10")
    assert step(receipt, "strata[0].GHG_CH4") == Decimal("0.0056") * 28  # salinity 30 ppt, AR5
    biomass = -((Decimal("6.466") - Decimal("2.50")) * Decimal("0.33") / 3 * 44 / 12) * area
    assert abs(step(receipt, "strata[0].GHG_biomass") - biomass) < Decimal("1e-25")
    ner = step(receipt, "GHG_BSL") - step(receipt, "GHG_WPS")
    assert step(receipt, "NER") == ner


def test_seagrass_area_in_mu_and_in_ha_give_the_same_credit():
    in_mu = calc("seagrass-restoration", seagrass_inputs())
    inputs = seagrass_inputs()
    inputs["strata"][0].pop("area_mu")
    inputs["strata"][0]["area_ha"] = "30"
    in_ha = calc("seagrass-restoration", inputs)
    inputs["strata"][0]["area_ha"], inputs["strata"][0]["area_mu"] = None, "450"
    in_mu_again = calc(
        "seagrass-restoration",
        {**inputs, "strata": [{k: v for k, v in inputs["strata"][0].items() if v is not None}]},
    )
    assert in_ha["result_tco2e"] == in_mu_again["result_tco2e"] != in_mu["result_tco2e"]


def test_the_conservative_ipcc_default_credits_far_less_than_the_calibrated_rate():
    inputs = seagrass_inputs()
    inputs["strata"][0]["sediment"] = {"method": "ipcc_default"}
    assert Decimal(calc("seagrass-restoration", inputs)["result_tco2e"]) < Decimal(150)


@pytest.mark.parametrize(
    ("edit", "field", "reason"),
    [
        (
            lambda s: s.update(sediment={"method": "marsh_default"}),
            "strata[0].sediment.method",
            "tidal marsh and mangrove only",
        ),
        (lambda s: s.update(salinity_ppt="12"), "strata[0].ch4.method", "no CH4 default applies"),
        (lambda s: s.update(existing_meadow_share="0.2"), "strata[0].existing_meadow_share", "above 5 %"),
        (lambda s: s.update(existing_meadow_share="20"), "strata[0].existing_meadow_share", "percentage"),
        (lambda s: s.update(area_ha="13"), "strata[0].area_ha", "not both"),
        (lambda s: s.update(species="posidonia"), "strata[0].species", "unknown seagrass species"),
        (lambda s: s.pop("biomass_t_dw_per_ha"), "strata[0].biomass_t_dw_per_ha", "is missing"),
        (
            lambda s: s["sediment"].update(rate_t_c_per_ha_yr="-1"),
            "strata[0].sediment.rate_t_c_per_ha_yr",
            "negative",
        ),
    ],
)
def test_seagrass_refuses_defaults_outside_their_scope_and_bad_quantities(edit, field, reason):
    inputs = seagrass_inputs()
    edit(inputs["strata"][0])
    found = problems("seagrass-restoration", inputs)
    assert any(p["field"] == field and reason in p["reason"] for p in found), found


def test_seagrass_refuses_an_uncertainty_given_as_a_percentage():
    found = problems("seagrass-restoration", seagrass_inputs(uncertainty={"ner_error": "25"}))
    assert found[0]["field"] == "uncertainty.ner_error" and "0.25" in found[0]["reason"]


def test_a_project_that_loses_carbon_can_issue_nothing():
    inputs = seagrass_inputs()
    inputs["strata"][0]["biomass_t_dw_per_ha"] = {"start": "6", "end": "1"}
    inputs["strata"][0]["sediment"] = {"method": "measured_rate", "rate_t_c_per_ha_yr": "0", "source": "x"}
    receipt = calc("seagrass-restoration", inputs)
    assert Decimal(receipt["result_tco2e"]) < 0 and receipt["issuable_t"] == 0
    assert any("not positive" in w for w in receipt["warnings"])


def test_a_receipt_is_the_same_bytes_whatever_the_number_format():
    as_text = service.calculate(None, "shellfish-csc", oyster_inputs("1000.5"))
    as_float = service.calculate(
        None,
        "shellfish-csc",
        {"culture": "non-fed", "harvests": [{"species": "oyster", "fresh_weight_t": 1000.5}]},
    )
    assert as_text.inputs_sha256 == as_float.inputs_sha256
    assert as_text.sha256 == as_float.sha256
    assert as_text.as_json()["receipt_sha256"] == as_text.sha256


def test_a_receipt_names_everything_needed_to_recompute_it():
    receipt = service.calculate(None, "seagrass-restoration", seagrass_inputs())
    body = receipt.as_json()
    for key in (
        "methodology",
        "methodology_version",
        "parameter_set",
        "parameter_set_version",
        "parameter_set_sha256",
        "inputs",
        "inputs_sha256",
        "steps",
        "result_tco2e",
        "receipt_sha256",
    ):
        assert key in body
    assert service.recompute(None, body).sha256 == receipt.sha256
    tampered = {**body, "inputs": {**body["inputs"], "years": "4"}}
    assert service.recompute(None, tampered).sha256 != receipt.sha256


def test_rounding_down_never_issues_a_tonne_not_earned():
    assert result_tonnes(Decimal("338.7009")) == Decimal("338.700")
    assert issuable_tonnes(Decimal("338.999")) == 338
    assert issuable_tonnes(Decimal("-2")) == 0


def test_an_unknown_methodology_is_named():
    with pytest.raises(MethodologyNotFound, match="seagrass-restoration"):
        service.calculate(None, "mangrove", {})
