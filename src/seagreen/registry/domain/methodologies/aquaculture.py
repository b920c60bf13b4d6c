"""Carbon-stock change of farmed bivalves and seaweed (贝藻养殖碳汇, HY/T 0305-2021 style).

Carbon removed from the sea by a harvest::

    C_bivalve = Σ_j P_j × R_dw,j × (w_tissue,j × c_tissue,j + w_shell,j × c_shell,j)   [t C]
    C_algae   = Σ_k P_k × R_dw,k × c_k                                                [t C]
    CO2e      = C × 44 / 12                                                            [t CO2e]

``P`` is the harvested fresh weight, ``R_dw`` the dry/wet ratio (干湿比), ``w`` the shell or soft
tissue share of dry weight (质量比) and ``c`` the carbon mass fraction of that part (碳含量).
Defaults come from the parameter set's coefficient table; site-measured coefficients override
them one by one and must name who measured them. The exact HY/T 0305 symbol set was not
available: the structure follows 岳冬冬 & 王鲁民 2012 and 孙康 et al. 2020, consistent with the
standard's defined terms.

Refused: a negative or missing quantity, a percentage where a fraction belongs, fed culture (the
defaults and the sink only hold for non-fed 不投饵 culture), a species of the other group (kelp in
the bivalve method), shares that do not add up to one.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar

from seagreen.registry.domain.methodologies.base import ProjectKind, to_co2
from seagreen.registry.domain.parameters import ParameterSet, Species
from seagreen.registry.domain.receipts import (
    Problems,
    Reader,
    Receipt,
    Step,
    calculation_context,
    canonical_inputs,
    result_tonnes,
)

SHARE_TOLERANCE = Decimal("0.001")
CULTURES = ("non-fed", "fed")
SHELL_WARNING = (
    "shell carbon (CaCO3) is counted as a removal as HY/T 0305-style accounting does; calcification "
    "also releases CO2, so this is disputed (set include_shell_carbon to false to exclude it)"
)
OTHER_WARNING = "{key}: generic default coefficients for 'other'; site-measured coefficients are preferred"


def _coefficients(
    harvest: Reader,
    species: Species,
    names: tuple[str, ...],
) -> tuple[dict[str, Decimal], set[str]]:
    """The species' default coefficients with the harvest's site-measured overrides; and the names
    that were overridden."""
    values = {name: species.coefficients[name] for name in names}
    measured: set[str] = set()
    overrides = harvest.child("coefficients", required=False)
    if overrides is None:
        return values, measured
    overrides.unknown(names)
    for name in names:
        if overrides.has(name):
            value = overrides.decimal(name, fraction=True)
            if value is not None:
                values[name] = value
                measured.add(name)
    if measured:
        harvest.text("coefficient_source")
    return values, measured


class _Harvests:
    """Shared reading of ``{culture, harvests: [{species, fresh_weight_t, coefficients?}]}`` and the
    shared sum; a subclass says what one harvest's carbon is (``_carbon``)."""

    code: ClassVar[str]
    version: ClassVar[str]
    name_zh: ClassVar[str]
    group: ClassVar[str]
    other_group_method: ClassVar[str]
    coefficient_names: ClassVar[tuple[str, ...]]
    fields: ClassVar[tuple[str, ...]] = ("culture", "harvests", "note")

    def _options(self, root: Reader, warnings: list[str]) -> dict[str, Any]:
        """Method-wide switches read from the inputs (none by default)."""
        return {}

    def _carbon(
        self, where: str, dry: Decimal, c: dict[str, Decimal], options: dict[str, Any]
    ) -> tuple[list[Step], Decimal]:
        raise NotImplementedError

    def _harvests(
        self, root: Reader, parameters: ParameterSet
    ) -> list[tuple[str, Reader, Species | None, Decimal | None]]:
        culture = root.text("culture", choices=CULTURES)
        if culture == "fed":
            root.problems.add(
                "culture",
                "fed culture (投饵养殖) is outside this method's scope: the sink and its default "
                "coefficients hold only for non-fed culture",
            )
        rows = []
        for harvest in root.items("harvests"):
            harvest.unknown(("species", "fresh_weight_t", "coefficients", "coefficient_source", "note"))
            key = harvest.text("species")
            found = (
                (parameters.species.get(key) or parameters.species.get(f"{key}_{self.group}"))
                if key
                else None
            )
            if key and found is None:
                known = ", ".join(k for k, s in parameters.species.items() if s.group == self.group)
                harvest.problems.add(f"{harvest.path}.species", f"unknown species {key!r}; known: {known}")
            elif found is not None and found.group != self.group:
                harvest.problems.add(
                    f"{harvest.path}.species",
                    f"{key} is a {found.group} species: its coefficients are outside the scope of "
                    f"{self.code}; use {self.other_group_method}",
                )
                found = None
            quantity = harvest.decimal("fresh_weight_t", positive=True)
            rows.append((key or "", harvest, found, quantity))
        return rows

    def calculate(self, inputs: Mapping[str, Any], parameters: ParameterSet) -> Receipt:
        canonical = canonical_inputs(inputs)
        problems = Problems()
        root = Reader(inputs, problems)
        root.unknown(self.fields)
        warnings: list[str] = []
        options = self._options(root, warnings)
        rows = self._harvests(root, parameters)
        steps: list[Step] = []
        total_c = Decimal(0)
        with calculation_context():
            for key, harvest, species, fresh in rows:
                if species is None or fresh is None:
                    continue
                c, measured = _coefficients(harvest, species, self.coefficient_names)
                if species.key.startswith("other") and not measured:
                    warnings.append(OTHER_WARNING.format(key=harvest.path))
                source = "site-measured: " + ", ".join(sorted(measured)) if measured else "defaults"
                where = harvest.path
                dry = fresh * c["dry_wet_ratio"]
                carbon_steps, carbon = self._carbon(where, dry, c, options)
                if not carbon_steps:
                    continue  # refused (the problem is recorded)
                total_c += carbon
                steps += [
                    Step(
                        f"{where}.dry_weight", dry, "t DW", "P × R_dw", f"{species.name_zh} {key}; {source}"
                    ),
                    *carbon_steps,
                    Step(f"{where}.carbon", carbon, "t C", "Σ parts"),
                    Step(f"{where}.co2e", to_co2(carbon), "t CO2e", "C × 44/12"),
                ]
            problems.raise_if_any(f"{self.code} inputs refused")
            total = to_co2(total_c)
            steps += [
                Step("total.carbon", total_c, "t C", "Σ harvests"),
                Step("total.co2e", total, "t CO2e", "Σ C × 44/12"),
            ]
            return Receipt(
                methodology=self.code,
                methodology_version=self.version,
                methodology_name=self.name_zh,
                parameter_set=parameters.ref,
                inputs=canonical,
                steps=tuple(steps),
                result_tco2e=result_tonnes(total),
                warnings=tuple(warnings),
            )


class ShellfishCsc(_Harvests):
    """``shellfish-csc``: bivalve carbon-stock change, per species, optional shell carbon."""

    code: ClassVar[str] = "shellfish-csc"
    version: ClassVar[str] = "1.0.0"
    name_zh: ClassVar[str] = "养殖双壳贝类碳汇（碳储量变化法）"
    name_en: ClassVar[str] = "Farmed bivalves: carbon-stock change"
    kind: ClassVar[str] = ProjectKind.SHELLFISH
    parameter_set: ClassVar[str] = "bivalve-algae-sun2020"
    basis: ClassVar[str] = "HY/T 0305-2021 style (structure after 岳冬冬 & 王鲁民 2012; 孙康 et al. 2020)"
    group: ClassVar[str] = "bivalve"
    other_group_method: ClassVar[str] = "algae-csc"
    coefficient_names: ClassVar[tuple[str, ...]] = (
        "dry_wet_ratio",
        "tissue_share",
        "shell_share",
        "tissue_carbon",
        "shell_carbon",
    )
    fields: ClassVar[tuple[str, ...]] = ("culture", "harvests", "include_shell_carbon", "note")

    def _options(self, root: Reader, warnings: list[str]) -> dict[str, Any]:
        include_shell = root.flag("include_shell_carbon", default=True)
        if include_shell:
            warnings.append(SHELL_WARNING)
        return {"include_shell": include_shell, "problems": root.problems}

    def _carbon(
        self, where: str, dry: Decimal, c: dict[str, Decimal], options: dict[str, Any]
    ) -> tuple[list[Step], Decimal]:
        share_sum = c["tissue_share"] + c["shell_share"]
        if abs(share_sum - 1) > SHARE_TOLERANCE:
            options["problems"].add(
                f"{where}.coefficients", f"tissue_share + shell_share is {share_sum}, not 1"
            )
            return [], Decimal(0)
        include_shell = options["include_shell"]
        tissue = dry * c["tissue_share"] * c["tissue_carbon"]
        shell = dry * c["shell_share"] * c["shell_carbon"] if include_shell else Decimal(0)
        formula = "DW × w_shell × c_shell" if include_shell else "excluded (include_shell_carbon = false)"
        return [
            Step(f"{where}.tissue_carbon", tissue, "t C", "DW × w_tissue × c_tissue"),
            Step(f"{where}.shell_carbon", shell, "t C", formula),
        ], tissue + shell


class AlgaeCsc(_Harvests):
    """``algae-csc``: farmed seaweed carbon-stock change, per species."""

    code: ClassVar[str] = "algae-csc"
    version: ClassVar[str] = "1.0.0"
    name_zh: ClassVar[str] = "养殖大型藻类碳汇（碳储量变化法）"
    name_en: ClassVar[str] = "Farmed seaweed: carbon-stock change"
    kind: ClassVar[str] = ProjectKind.ALGAE
    parameter_set: ClassVar[str] = "bivalve-algae-sun2020"
    basis: ClassVar[str] = "HY/T 0305-2021 style (structure after 岳冬冬 & 王鲁民 2012; 孙康 et al. 2020)"
    group: ClassVar[str] = "algae"
    other_group_method: ClassVar[str] = "shellfish-csc"
    coefficient_names: ClassVar[tuple[str, ...]] = ("dry_wet_ratio", "carbon")

    def _carbon(
        self, where: str, dry: Decimal, c: dict[str, Decimal], options: dict[str, Any]
    ) -> tuple[list[Step], Decimal]:
        carbon = dry * c["carbon"]
        return [Step(f"{where}.thallus_carbon", carbon, "t C", "DW × c")], carbon
