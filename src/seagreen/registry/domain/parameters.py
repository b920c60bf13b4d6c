"""Parameter sets (参数集): the numbers a methodology needs, kept as versioned data, not code.

A parameter set is a TOML file with a code, a version, the methodologies it serves and, for every
value, its unit, its source and a mark of how far it can be trusted:

* ``verified``: read in the cited source; ``secondary``: found only as a citation elsewhere;
* ``estimate``: a plausible value from general knowledge, to be replaced by a measured or
  official one; ``design``: SeaGreen's own choice (a policy, not a fact);
* ``calibrated``: chosen so a published result is reproduced (the Rongcheng demo);
* ``reconstruction``: the value stands in for a text SeaGreen could not obtain.

The SHA-256 of the file's bytes is part of every receipt: a set never changes once published; a
correction is a new version, and old receipts still name (and recompute with) the old one.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from seagreen.registry.domain.receipts import ParameterSetRef, sha256_hex

MARKS = ("verified", "secondary", "estimate", "design", "calibrated", "reconstruction")
CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,59}\Z")
_META = frozenset({"name_zh", "name_en", "group", "mark", "source", "scope", "unit", "value", "note"})


@dataclass(frozen=True)
class Parameter:
    name: str
    value: Decimal
    unit: str
    mark: str
    source: str
    scope: str = ""


@dataclass(frozen=True)
class Species:
    """A row of a coefficient table: a species' coefficients and where they come from."""

    key: str
    name_zh: str
    name_en: str
    group: str
    mark: str
    source: str
    coefficients: Mapping[str, Decimal]
    note: str = ""


@dataclass(frozen=True)
class ParameterSet:
    code: str
    version: str
    status: str
    title_zh: str
    title_en: str
    methodologies: tuple[str, ...]
    source: str
    sha256: str
    parameters: Mapping[str, Parameter] = field(default_factory=dict)
    species: Mapping[str, Species] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def ref(self) -> ParameterSetRef:
        return ParameterSetRef(self.code, self.version, self.sha256)

    def value(self, name: str) -> Decimal:
        return self.parameters[name].value


class ParameterSetError(ValueError):
    """A parameter-set file that breaks the format (named problems, one per line)."""


def _decimal(text: object, where: str, problems: list[str]) -> Decimal:
    try:
        if not isinstance(text, str):
            raise InvalidOperation
        value = Decimal(text)
    except InvalidOperation:
        problems.append(f"{where}: {text!r} is not a decimal string")
        return Decimal(0)
    if not value.is_finite():
        problems.append(f"{where}: not a finite number")
    return value


def _mark(value: object, where: str, problems: list[str]) -> str:
    if value not in MARKS:
        problems.append(f"{where}.mark: {value!r} is not one of {', '.join(MARKS)}")
        return "estimate"
    return str(value)


def parse_parameter_set(content: bytes) -> ParameterSet:
    """Read a parameter-set file; refuse it with every problem named if it breaks the format."""
    problems: list[str] = []
    try:
        data = tomllib.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ParameterSetError(f"not a TOML file: {exc}") from exc
    code = str(data.get("code", ""))
    version = str(data.get("version", ""))
    if not CODE_PATTERN.match(code):
        problems.append(f"code: {code!r} is not a lower-case code")
    if not re.match(r"^[a-z0-9.]{1,20}$", version):
        problems.append(f"version: {version!r} is not a short version")
    methodologies = data.get("methodologies")
    if not isinstance(methodologies, list) or not methodologies:
        problems.append("methodologies: name at least one methodology")
        methodologies = []
    parameters: dict[str, Parameter] = {}
    for name, body in (data.get("parameters") or {}).items():
        where = f"parameters.{name}"
        if not isinstance(body, dict):
            problems.append(f"{where}: must be a table")
            continue
        parameters[name] = Parameter(
            name=name,
            value=_decimal(body.get("value"), f"{where}.value", problems),
            unit=str(body.get("unit", "")),
            mark=_mark(body.get("mark"), where, problems),
            source=str(body.get("source", "")),
            scope=str(body.get("scope", "")),
        )
        if not body.get("source"):
            problems.append(f"{where}.source: every value names its source")
    species: dict[str, Species] = {}
    for key, body in (data.get("species") or {}).items():
        where = f"species.{key}"
        if not isinstance(body, dict):
            problems.append(f"{where}: must be a table")
            continue
        coefficients = {
            name: _decimal(value, f"{where}.{name}", problems)
            for name, value in body.items()
            if name not in _META
        }
        species[key] = Species(
            key=key,
            name_zh=str(body.get("name_zh", key)),
            name_en=str(body.get("name_en", key)),
            group=str(body.get("group", "")),
            mark=_mark(body.get("mark"), where, problems),
            source=str(body.get("source", "")),
            coefficients=coefficients,
            note=str(body.get("note", "")),
        )
        if not body.get("source"):
            problems.append(f"{where}.source: every row names its source")
    if problems:
        raise ParameterSetError("\n".join(problems))
    return ParameterSet(
        code=code,
        version=version,
        status=str(data.get("status", "")),
        title_zh=str(data.get("title_zh", code)),
        title_en=str(data.get("title_en", code)),
        methodologies=tuple(str(m) for m in methodologies),
        source=str(data.get("source", "")),
        sha256=sha256_hex(content),
        parameters=parameters,
        species=species,
        notes=tuple(str(note) for note in data.get("notes", ())),
    )
