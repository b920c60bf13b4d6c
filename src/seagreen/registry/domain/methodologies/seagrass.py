"""Seagrass-bed restoration (海草床修复), structured like Verra VM0033 v2.1.

Per stratum ``i`` (area ``A_i`` in ha), per year of a monitoring period of ``T`` years::

    ΔC_biomass,i   = (B_end − B_start) × CF / T                          [t C ha-1 yr-1]   (eq 78)
    GHG_biomass,i  = −44/12 × ΔC_biomass,i × A_i                         [t CO2e yr-1]     (eq 70)
    insitu_i       = −44/12 × SOC accumulation rate                       [t CO2e ha-1 yr-1]
    Deduction_i    = insitu_i × f_alloch            (only when insitu_i < 0)               (eq 38)
    CH4_i          = rate_CH4 × GWP_CH4                                    [t CO2e ha-1 yr-1] (eq 60-61)
    GHG_soil,i     = A_i × (insitu_i − Deduction_i + CH4_i)               [t CO2e yr-1]     (eq 79)
    GHG_WPS        = T × Σ_i (GHG_biomass,i + GHG_soil,i)
    GHG_BSL        = T × Σ_i A_i × (−44/12 × (baseline SOC + biomass change) + baseline CH4 × GWP)
    NER            = GHG_BSL − GHG_WPS − GHG_LK      (GHG_LK = 0 under the applicability rules) (eq 85)
    adjusted NER   = NER × min(1, 1 − NER_ERROR + allowable uncertainty)                    (eq 92)

Emissions are positive, removals negative, as in VM0033. N2O is not accounted ("seagrass
restoration projects do not require N2O emission accounting"). The buffer is not deducted here:
it is taken at issuance, as a share of the issued serials (``docs/decisions/0011``).

The Shandong seagrass 碳普惠 methodology's own text was not available; what it leaves unknown
(carbon fraction, default rates, uncertainty rule) comes from a replaceable parameter set marked
as a reconstruction. Defaults used outside their scope are refused: VM0033's 1.46 t C/ha/yr SOC
default is for tidal marsh and mangrove only, the CH4 defaults need salinity above 18 ppt, an
existing meadow above 5 % of a stratum must be excluded.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar

from seagreen.registry.domain.methodologies.base import ProjectKind, to_co2
from seagreen.registry.domain.parameters import ParameterSet
from seagreen.registry.domain.receipts import (
    Problems,
    Reader,
    Receipt,
    Step,
    calculation_context,
    canonical_inputs,
    result_tonnes,
)

MU_PER_HA = Decimal(15)  # 1 ha = 15 亩
SEDIMENT_METHODS = ("measured_rate", "sar_oc", "stock_change", "ipcc_default", "marsh_default")
CH4_METHODS = ("default", "measured", "excluded")
GWP_SETS = ("ar4", "ar5", "ar6")
EXISTING_MEADOW_LIMIT = Decimal("0.05")
G_PER_CM2_TO_T_PER_HA = Decimal(100)  # 1 g cm-2 = 10 kg m-2 = 100 t ha-1


class SeagrassRestoration:
    code: ClassVar[str] = "seagrass-restoration"
    version: ClassVar[str] = "1.0.0"
    name_zh: ClassVar[str] = "海草床植被修复碳汇"
    name_en: ClassVar[str] = "Seagrass-bed restoration"
    kind: ClassVar[str] = ProjectKind.SEAGRASS
    parameter_set: ClassVar[str] = "seagrass-shandong"
    basis: ClassVar[str] = "Verra VM0033 v2.1 structure; Shandong 碳普惠 seagrass parameters reconstructed"
    fields: ClassVar[tuple[str, ...]] = (
        "years",
        "gwp",
        "allochthonous_fraction",
        "uncertainty",
        "strata",
        "note",
    )
    stratum_fields: ClassVar[tuple[str, ...]] = (
        "name",
        "area_ha",
        "area_mu",
        "species",
        "salinity_ppt",
        "existing_meadow_share",
        "biomass_t_dw_per_ha",
        "sediment",
        "ch4",
        "baseline",
        "note",
    )

    def calculate(self, inputs: Mapping[str, Any], parameters: ParameterSet) -> Receipt:
        canonical = canonical_inputs(inputs)
        problems = Problems()
        root = Reader(inputs, problems)
        root.unknown(self.fields)
        warnings: list[str] = []
        steps: list[Step] = []
        with calculation_context():
            years = root.decimal("years", positive=True, maximum=Decimal(100))
            gwp_set = root.text("gwp", required=False, choices=GWP_SETS) or "ar5"
            gwp_ch4 = parameters.value(f"gwp_ch4_{gwp_set}")
            alloch = root.decimal("allochthonous_fraction", fraction=True)
            if alloch == 0:
                warnings.append(
                    "allochthonous_fraction = 0: for seagrass VM0033 allows no deduction only with the "
                    "'SOC indistinguishable from baseline' stock-change method (footnote 14)"
                )
            uncertainty = root.child("uncertainty")
            ner_error = uncertainty.decimal("ner_error", fraction=True) if uncertainty else None
            if uncertainty:
                uncertainty.unknown(("ner_error", "confidence", "note"))
            allowable = parameters.value("allowable_uncertainty")
            strata = root.items("strata")
            per_year_wps = Decimal(0)
            per_year_bsl = Decimal(0)
            for stratum in strata:
                result = self._stratum(stratum, parameters, gwp_ch4, alloch, years, warnings)
                if result is None:
                    continue
                stratum_steps, wps, bsl = result
                steps += stratum_steps
                per_year_wps += wps
                per_year_bsl += bsl
            problems.raise_if_any(f"{self.code} inputs refused")
            assert years is not None and ner_error is not None
            ghg_wps = per_year_wps * years
            ghg_bsl = per_year_bsl * years
            ner = ghg_bsl - ghg_wps
            factor = min(Decimal(1), Decimal(1) - ner_error + allowable)
            adjusted = ner * factor
            steps += [
                Step(
                    "GHG_WPS", ghg_wps, "t CO2e", "T × Σ_i (GHG_biomass,i + GHG_soil,i)", "project emissions"
                ),
                Step("GHG_BSL", ghg_bsl, "t CO2e", "T × Σ_i baseline", "baseline emissions"),
                Step("GHG_LK", Decimal(0), "t CO2e", "0 under the applicability conditions (VM0033 §8.3)"),
                Step("NER", ner, "t CO2e", "GHG_BSL − GHG_WPS − GHG_LK (eq 85)"),
                Step(
                    "uncertainty_factor",
                    factor,
                    "1",
                    "min(1, 1 − NER_ERROR + allowable) (eq 92)",
                    f"NER_ERROR {ner_error}, allowable {allowable}",
                ),
                Step("adjusted_NER", adjusted, "t CO2e", "NER × uncertainty_factor"),
            ]
            if adjusted <= 0:
                warnings.append("the adjusted net removal is not positive: nothing can be issued")
            return Receipt(
                methodology=self.code,
                methodology_version=self.version,
                methodology_name=self.name_zh,
                parameter_set=parameters.ref,
                inputs=canonical,
                steps=tuple(steps),
                result_tco2e=result_tonnes(adjusted),
                warnings=tuple(warnings),
            )

    def _stratum(
        self,
        stratum: Reader,
        parameters: ParameterSet,
        gwp_ch4: Decimal,
        alloch: Decimal | None,
        years: Decimal | None,
        warnings: list[str],
    ) -> tuple[list[Step], Decimal, Decimal] | None:
        stratum.unknown(self.stratum_fields)
        where = stratum.path
        name = stratum.text("name") or where
        area = self._area(stratum)
        key = stratum.text("species")
        species = (parameters.species.get(key) or parameters.species.get(f"{key}_seagrass")) if key else None
        if key and (species is None or species.group != "seagrass"):
            known = ", ".join(k for k, s in parameters.species.items() if s.group == "seagrass")
            stratum.problems.add(f"{where}.species", f"unknown seagrass species {key!r}; known: {known}")
        salinity = stratum.decimal("salinity_ppt", maximum=Decimal(60))
        existing = stratum.decimal("existing_meadow_share", required=False, default=Decimal(0), fraction=True)
        if existing is not None and existing > EXISTING_MEADOW_LIMIT:
            stratum.problems.add(
                f"{where}.existing_meadow_share",
                f"is {existing}: an existing meadow above 5 % of a stratum must be a separate stratum "
                "excluded from the project (VM0033 §5.2.2)",
            )
        biomass = stratum.child("biomass_t_dw_per_ha")
        b_start = biomass.decimal("start") if biomass else None
        b_end = biomass.decimal("end") if biomass else None
        if biomass:
            biomass.unknown(("start", "end", "note"))
        sed_rate, sed_steps = self._sediment(stratum, parameters)
        ch4_rate = self._ch4(stratum, parameters, salinity)
        baseline = stratum.child("baseline", required=False)
        if baseline is None:
            warnings.append(f"{where}: no baseline given; a bare tidal flat with no change is assumed (0)")
        bsl_sed = (
            baseline.decimal("sediment_rate_t_c_per_ha_yr", required=False, default=Decimal(0))
            if baseline
            else Decimal(0)
        )
        bsl_bio = (
            baseline.decimal("biomass_change_t_c_per_ha_yr", required=False, default=Decimal(0))
            if baseline
            else Decimal(0)
        )
        bsl_ch4 = (
            baseline.decimal("ch4_t_per_ha_yr", required=False, default=Decimal(0))
            if baseline
            else Decimal(0)
        )
        if baseline:
            baseline.unknown(
                ("sediment_rate_t_c_per_ha_yr", "biomass_change_t_c_per_ha_yr", "ch4_t_per_ha_yr", "note")
            )
        needed = (area, species, b_start, b_end, sed_rate, ch4_rate, alloch, years, bsl_sed, bsl_bio, bsl_ch4)
        if any(value is None for value in needed):
            return None
        assert area is not None and species is not None and b_start is not None and b_end is not None
        assert sed_rate is not None and ch4_rate is not None and alloch is not None and years is not None
        assert bsl_sed is not None and bsl_bio is not None and bsl_ch4 is not None
        cf = species.coefficients["carbon_fraction"]
        c_start = b_start * cf
        c_end = b_end * cf
        d_bio = (c_end - c_start) / years
        ghg_bio = -to_co2(d_bio) * area
        insitu = -to_co2(sed_rate)
        deduction = insitu * alloch if insitu < 0 else Decimal(0)
        ch4 = ch4_rate * gwp_ch4
        ghg_soil = area * (insitu - deduction + ch4)
        wps = ghg_bio + ghg_soil
        bsl = area * (-to_co2(bsl_sed + bsl_bio) + bsl_ch4 * gwp_ch4)
        steps = [
            Step(f"{where}.area", area, "ha", "area_ha, or area_mu / 15", name),
            Step(
                f"{where}.carbon_fraction",
                cf,
                "t C / t DW",
                "parameter set",
                f"{species.name_zh} ({species.mark})",
            ),
            Step(f"{where}.C_biomass_start", c_start, "t C / ha", "B_start × CF"),
            Step(f"{where}.C_biomass_end", c_end, "t C / ha", "B_end × CF"),
            Step(f"{where}.dC_biomass", d_bio, "t C / ha / yr", "(C_end − C_start) / T (eq 78)"),
            Step(f"{where}.GHG_biomass", ghg_bio, "t CO2e / yr", "−44/12 × dC_biomass × A (eq 70)"),
            *sed_steps,
            Step(f"{where}.GHG_insitu_CO2", insitu, "t CO2e / ha / yr", "−44/12 × SOC rate"),
            Step(f"{where}.deduction_alloch", deduction, "t CO2e / ha / yr", "GHG_insitu × f_alloch (eq 38)"),
            Step(f"{where}.GHG_CH4", ch4, "t CO2e / ha / yr", "rate_CH4 × GWP_CH4", f"GWP_CH4 {gwp_ch4}"),
            Step(f"{where}.GHG_soil", ghg_soil, "t CO2e / yr", "A × (insitu − deduction + CH4) (eq 79)"),
            Step(f"{where}.GHG_WPS", wps, "t CO2e / yr", "GHG_biomass + GHG_soil"),
            Step(f"{where}.GHG_BSL", bsl, "t CO2e / yr", "A × (−44/12 × (SOC + biomass) + CH4 × GWP)"),
        ]
        return steps, wps, bsl

    def _area(self, stratum: Reader) -> Decimal | None:
        where = stratum.path
        if stratum.has("area_ha") and stratum.has("area_mu"):
            stratum.problems.add(f"{where}.area_ha", "give area_ha or area_mu, not both")
            return None
        if stratum.has("area_mu"):
            mu = stratum.decimal("area_mu", positive=True)
            return mu / MU_PER_HA if mu is not None else None
        return stratum.decimal("area_ha", positive=True)

    def _sediment(self, stratum: Reader, parameters: ParameterSet) -> tuple[Decimal | None, list[Step]]:
        sediment = stratum.child("sediment")
        if sediment is None:
            return None, []
        where = sediment.path
        method = sediment.text("method", choices=SEDIMENT_METHODS)
        if method == "measured_rate":
            sediment.unknown(("method", "rate_t_c_per_ha_yr", "source", "note"))
            rate = sediment.decimal("rate_t_c_per_ha_yr")
            sediment.text("source")
            return rate, (
                [Step(f"{where}.rate", rate, "t C / ha / yr", "measured SOC accumulation")]
                if rate is not None
                else []
            )
        if method == "sar_oc":
            sediment.unknown(("method", "sar_g_per_cm2_yr", "oc_fraction", "source", "note"))
            sar = sediment.decimal("sar_g_per_cm2_yr")
            oc = sediment.decimal("oc_fraction", fraction=True)
            sediment.text("source")
            if sar is None or oc is None:
                return None, []
            rate = sar * oc * G_PER_CM2_TO_T_PER_HA
            return rate, [
                Step(
                    f"{where}.rate",
                    rate,
                    "t C / ha / yr",
                    "SAR × %OC × 100 (²¹⁰Pb rate below the mixed layer)",
                )
            ]
        if method == "stock_change":
            sediment.unknown(
                ("method", "stock_start_t_c_per_ha", "stock_end_t_c_per_ha", "years", "source", "note")
            )
            start = sediment.decimal("stock_start_t_c_per_ha")
            end = sediment.decimal("stock_end_t_c_per_ha")
            span = sediment.decimal("years", positive=True)
            sediment.text("source")
            if start is None or end is None or span is None:
                return None, []
            rate = (end - start) / span
            return rate, [
                Step(f"{where}.rate", rate, "t C / ha / yr", "(C_sed,end − C_sed,start) / T (eq 36)")
            ]
        if method == "ipcc_default":
            sediment.unknown(("method", "note"))
            rate = parameters.value("ipcc_seagrass_soc_rate")
            return rate, [
                Step(f"{where}.rate", rate, "t C / ha / yr", "IPCC 2013 Wetlands Supplement seagrass default")
            ]
        if method == "marsh_default":
            sediment.problems.add(
                f"{where}.method",
                "VM0033's default SOC accumulation rate (1.46 t C/ha/yr, eq 33) applies to tidal marsh and "
                "mangrove only; it may not be used for seagrass (§5.2.2)",
            )
        return None, []

    def _ch4(self, stratum: Reader, parameters: ParameterSet, salinity: Decimal | None) -> Decimal | None:
        ch4 = stratum.child("ch4")
        if ch4 is None:
            return None
        where = ch4.path
        method = ch4.text("method", choices=CH4_METHODS)
        if method == "measured":
            ch4.unknown(("method", "t_ch4_per_ha_yr", "source", "note"))
            ch4.text("source")
            return ch4.decimal("t_ch4_per_ha_yr")
        if method == "excluded":
            ch4.unknown(("method", "justification", "note"))
            ch4.text("justification")
            return Decimal(0)
        if method == "default":
            ch4.unknown(("method", "note"))
            if salinity is None:
                return None
            if salinity >= parameters.value("ch4_high_salinity_from_ppt"):
                return parameters.value("ch4_default_high_salinity")
            if salinity > parameters.value("ch4_mid_salinity_above_ppt"):
                return parameters.value("ch4_default_mid_salinity")
            ch4.problems.add(
                f"{where}.method",
                f"no CH4 default applies at a salinity of {salinity} ppt (defaults need > 18 ppt, "
                "VM0033 eq 60-61): measure it",
            )
        return None
