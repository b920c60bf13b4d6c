"""Calculation receipts (计算回执): what a methodology computed, from what, by which rules.

A receipt names the methodology and its version, the parameter set and the SHA-256 of its
content, the inputs (canonical JSON) and their SHA-256, every intermediate value with its unit
and formula, the result and the whole tonnes it allows to issue. Stored with a monitoring report
and its issuance, it lets anyone recompute a credit years later and get the same bytes.

Numbers are :class:`~decimal.Decimal` under one fixed context (34 significant digits, half-even),
never floats. Rounding to what is issued is one documented rule (:data:`ROUNDING_RULE`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_DOWN, ROUND_FLOOR, Context, Decimal, InvalidOperation, localcontext
from typing import Any

from seagreen.registry.errors import InputsInvalid

RECEIPT_SCHEMA = "seagreen.registry.receipt/1"
CONTEXT = Context(prec=34, rounding="ROUND_HALF_EVEN")
RESULT_QUANTUM = Decimal("0.001")  # t CO2e: a kilogram
ROUNDING_RULE = (
    "intermediate values: 34 significant digits, half-even; result_tco2e: 3 decimals (kg), rounded "
    "down; issuable_t: whole tonnes, rounded down (a fraction of a tonne is never issued)"
)


@contextmanager
def calculation_context() -> Iterator[None]:
    """The one Decimal context every methodology computes in (same result on every machine)."""
    with localcontext(CONTEXT):
        yield


def dec_str(value: Decimal) -> str:
    """A Decimal as plain digits (no exponent), trailing zeros dropped: ``338.7``, ``0.0056``."""
    if value == 0:
        return "0"
    text = format(value.normalize(), "f")
    return text


def result_tonnes(value: Decimal) -> Decimal:
    """The result in t CO2e, to the kilogram, rounded down."""
    return value.quantize(RESULT_QUANTUM, rounding=ROUND_DOWN)


def issuable_tonnes(result_tco2e: Decimal) -> int:
    """Whole tonnes that may be issued for a result: rounded down, never negative."""
    if result_tco2e <= 0:
        return 0
    return int(result_tco2e.to_integral_value(rounding=ROUND_FLOOR))


# ---------------------------------------------------------------------------------------------
# Canonical JSON and hashes
# ---------------------------------------------------------------------------------------------


def _canonical(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("not a finite number")
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("not a finite number")
        return str(Decimal(repr(value)))
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(key): _canonical(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(item) for item in value]
    raise TypeError(f"cannot put a {type(value).__name__} into canonical JSON")


def canonical_inputs(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The inputs with every number as a decimal string (``1000``, ``1000.5``), so the same inputs
    hash alike whether they came from a JSON file (exact decimals) or an API body (floats)."""
    try:
        canonical = _canonical(inputs)
    except (TypeError, ValueError) as exc:
        raise InputsInvalid(
            f"the inputs cannot be read: {exc}", errors=[{"field": "", "reason": str(exc)}]
        ) from exc
    assert isinstance(canonical, dict)
    return canonical


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8: the bytes every hash and signature in the registry covers."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load_inputs_json(text: str | bytes) -> dict[str, Any]:
    """Read an inputs file, keeping every number an exact Decimal."""
    try:
        data = json.loads(text, parse_float=Decimal)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputsInvalid(
            f"the inputs are not JSON: {exc}", errors=[{"field": "", "reason": str(exc)}]
        ) from exc
    if not isinstance(data, dict):
        raise InputsInvalid(
            "the inputs must be a JSON object", errors=[{"field": "", "reason": "not an object"}]
        )
    return data


# ---------------------------------------------------------------------------------------------
# Reading inputs with every problem named by its field
# ---------------------------------------------------------------------------------------------


@dataclass
class Problems:
    """Every problem found in a set of inputs, each with the dotted path of its field."""

    items: list[dict[str, str]] = field(default_factory=list)

    def add(self, path: str, reason: str) -> None:
        self.items.append({"field": path, "reason": reason})

    def raise_if_any(self, what: str) -> None:
        if self.items:
            first = self.items[0]
            more = f" (and {len(self.items) - 1} more)" if len(self.items) > 1 else ""
            raise InputsInvalid(f"{what}: {first['field']}: {first['reason']}{more}", errors=list(self.items))


def _as_decimal(raw: Any) -> Decimal | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, Decimal):
        return raw if raw.is_finite() else None
    if isinstance(raw, int):
        return Decimal(raw)
    if isinstance(raw, float):
        return Decimal(repr(raw)) if raw == raw and abs(raw) != float("inf") else None
    if isinstance(raw, str):
        try:
            value = Decimal(raw.strip())
        except InvalidOperation:
            return None
        return value if value.is_finite() else None
    return None


class Reader:
    """Reads one object of the inputs; records problems instead of stopping at the first."""

    def __init__(self, data: Any, problems: Problems, path: str = "") -> None:
        self.path = path
        self.problems = problems
        if not isinstance(data, Mapping):
            problems.add(path or "(inputs)", "must be an object")
            data = {}
        self.data: Mapping[str, Any] = data

    def _field(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def has(self, name: str) -> bool:
        return self.data.get(name) is not None

    def decimal(
        self,
        name: str,
        *,
        required: bool = True,
        default: Decimal | None = None,
        positive: bool = False,
        fraction: bool = False,
        maximum: Decimal | None = None,
    ) -> Decimal | None:
        """A non-negative number; ``fraction`` ones must lie in [0, 1] (a percentage is refused)."""
        where = self._field(name)
        raw = self.data.get(name)
        if raw is None:
            if required and default is None:
                self.problems.add(where, "is missing")
            return default
        value = _as_decimal(raw)
        if value is None:
            self.problems.add(where, f"is not a number: {raw!r}")
            return None
        if value < 0:
            self.problems.add(where, f"must not be negative (got {raw})")
            return None
        if positive and value == 0:
            self.problems.add(where, "must be more than zero")
            return None
        if fraction and value > 1:
            hint = dec_str(value / 100) if value <= 100 else "a value between 0 and 1"
            self.problems.add(
                where,
                f"is {raw}, which looks like a percentage: give a fraction between 0 and 1 (e.g. {hint})",
            )
            return None
        if maximum is not None and value > maximum:
            self.problems.add(where, f"must be at most {dec_str(maximum)} (got {raw})")
            return None
        return value

    def text(self, name: str, *, required: bool = True, choices: Sequence[str] | None = None) -> str | None:
        where = self._field(name)
        raw = self.data.get(name)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if required:
                self.problems.add(where, "is missing")
            return None
        if not isinstance(raw, str):
            self.problems.add(where, f"must be text (got {raw!r})")
            return None
        value = raw.strip()
        if choices is not None and value not in choices:
            self.problems.add(where, f"is {value!r}; expected one of {', '.join(choices)}")
            return None
        return value

    def flag(self, name: str, *, default: bool) -> bool:
        raw = self.data.get(name)
        if raw is None:
            return default
        if not isinstance(raw, bool):
            self.problems.add(self._field(name), f"must be true or false (got {raw!r})")
            return default
        return raw

    def child(self, name: str, *, required: bool = True) -> Reader | None:
        raw = self.data.get(name)
        if raw is None:
            if required:
                self.problems.add(self._field(name), "is missing")
            return None
        return Reader(raw, self.problems, self._field(name))

    def items(self, name: str) -> list[Reader]:
        """The objects of a non-empty list field, each with its own path (``harvests[2]``)."""
        where = self._field(name)
        raw = self.data.get(name)
        if raw is None:
            self.problems.add(where, "is missing")
            return []
        if not isinstance(raw, list) or not raw:
            self.problems.add(where, "must be a non-empty list")
            return []
        return [Reader(item, self.problems, f"{where}[{index}]") for index, item in enumerate(raw)]

    def unknown(self, allowed: Sequence[str]) -> None:
        """Refuse fields the methodology does not know (a typo would otherwise be silently ignored)."""
        for name in self.data:
            if name not in allowed:
                self.problems.add(self._field(str(name)), "is not a field of this methodology")


# ---------------------------------------------------------------------------------------------
# The receipt
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One intermediate value: a name, the formula that produced it, the value and its unit."""

    name: str
    value: Decimal
    unit: str
    formula: str = ""
    note: str = ""

    def as_json(self) -> dict[str, str]:
        body = {"name": self.name, "value": dec_str(self.value), "unit": self.unit}
        if self.formula:
            body["formula"] = self.formula
        if self.note:
            body["note"] = self.note
        return body


@dataclass(frozen=True)
class ParameterSetRef:
    code: str
    version: str
    sha256: str


@dataclass(frozen=True)
class Receipt:
    methodology: str
    methodology_version: str
    methodology_name: str
    parameter_set: ParameterSetRef
    inputs: dict[str, Any]  # canonical
    steps: tuple[Step, ...]
    result_tco2e: Decimal
    warnings: tuple[str, ...] = ()

    @property
    def inputs_sha256(self) -> str:
        return sha256_hex(canonical_json(self.inputs))

    @property
    def issuable_t(self) -> int:
        return issuable_tonnes(self.result_tco2e)

    def body(self) -> dict[str, Any]:
        return {
            "schema": RECEIPT_SCHEMA,
            "methodology": self.methodology,
            "methodology_version": self.methodology_version,
            "methodology_name": self.methodology_name,
            "parameter_set": self.parameter_set.code,
            "parameter_set_version": self.parameter_set.version,
            "parameter_set_sha256": self.parameter_set.sha256,
            "inputs": self.inputs,
            "inputs_sha256": self.inputs_sha256,
            "steps": [step.as_json() for step in self.steps],
            "result_tco2e": format(self.result_tco2e, "f"),
            "issuable_t": self.issuable_t,
            "rounding": ROUNDING_RULE,
            "warnings": list(self.warnings),
        }

    def as_json(self) -> dict[str, Any]:
        """The receipt with ``receipt_sha256``: the hash of everything else in it."""
        body = self.body()
        return {**body, "receipt_sha256": sha256_hex(canonical_json(body))}

    @property
    def sha256(self) -> str:
        return sha256_hex(canonical_json(self.body()))
