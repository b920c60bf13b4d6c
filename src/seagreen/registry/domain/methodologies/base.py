"""What every methodology is: a code, a version, the parameter set it uses by default, and a pure
``calculate(inputs, parameters) -> Receipt``.

A methodology is code under version control: a change of formula is a new class with a new
version, and the old one stays so that any stored receipt can be recomputed with the rules that
produced it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar, Protocol

from seagreen.registry.domain.parameters import ParameterSet
from seagreen.registry.domain.receipts import Receipt

CO2_PER_C = (Decimal(44), Decimal(12))  # t CO2 = t C × 44 / 12 (multiply first, then divide)


def to_co2(carbon_t: Decimal) -> Decimal:
    return carbon_t * CO2_PER_C[0] / CO2_PER_C[1]


class ProjectKind:
    SEAGRASS = "seagrass"
    SHELLFISH = "shellfish"
    ALGAE = "algae"


class Methodology(Protocol):
    code: ClassVar[str]
    version: ClassVar[str]
    name_zh: ClassVar[str]
    name_en: ClassVar[str]
    kind: ClassVar[str]
    parameter_set: ClassVar[str]  # the code of the set it uses by default
    basis: ClassVar[str]

    def calculate(self, inputs: Mapping[str, Any], parameters: ParameterSet) -> Receipt: ...


@dataclass(frozen=True)
class MethodologyInfo:
    code: str
    version: str
    name_zh: str
    name_en: str
    kind: str
    parameter_set: str
    basis: str

    @classmethod
    def of(cls, methodology: Methodology) -> MethodologyInfo:
        return cls(
            code=methodology.code,
            version=methodology.version,
            name_zh=methodology.name_zh,
            name_en=methodology.name_en,
            kind=methodology.kind,
            parameter_set=methodology.parameter_set,
            basis=methodology.basis,
        )
