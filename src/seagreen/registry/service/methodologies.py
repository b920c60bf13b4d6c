"""Methodologies and their parameter sets: calculate a receipt, recompute a stored one, load the
shipped parameter sets into the database, the working calendar of public notices."""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from seagreen.kit.clock import now_micros
from seagreen.registry.domain.calendar import CalendarError, WorkingCalendar, parse_calendar
from seagreen.registry.domain.methodologies import MethodologyInfo, find_methodology, latest_methodologies
from seagreen.registry.domain.parameters import ParameterSet, ParameterSetError, parse_parameter_set
from seagreen.registry.domain.receipts import Receipt, load_inputs_json
from seagreen.registry.errors import (
    InputsInvalid,
    ParameterSetConflict,
    ParameterSetNotFound,
    RegistryError,
)
from seagreen.registry.repository import head

DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "registry"
PARAMETERS_DIR = DATA_DIR / "parameters"
PUBLISHED = PARAMETERS_DIR / "published.toml"
HOLIDAYS_FILE = DATA_DIR / "holidays-cn.toml"
DEMO_DIR = DATA_DIR / "demo"


@dataclass(frozen=True)
class PublishedSet:
    code: str
    version: str
    file: Path
    sha256: str


def published_sets() -> list[PublishedSet]:
    with PUBLISHED.open("rb") as handle:
        entries = tomllib.load(handle)["parameter_set"]
    return [PublishedSet(e["code"], e["version"], PARAMETERS_DIR / e["file"], e["sha256"]) for e in entries]


def _parse(content: bytes, where: str) -> ParameterSet:
    try:
        return parse_parameter_set(content)
    except ParameterSetError as exc:
        raise RegistryError(f"parameter set {where} is invalid: {exc}") from exc


@lru_cache(maxsize=16)
def shipped_parameter_set(code: str, version: str | None = None) -> ParameterSet:
    """A published parameter set from the files shipped with SeaGreen (no database needed)."""
    found = [entry for entry in published_sets() if entry.code == code and version in (None, entry.version)]
    if not found:
        raise ParameterSetNotFound(f"no published parameter set {code!r} {version or ''}".strip(), code=code)
    entry = found[-1]
    content = entry.file.read_bytes()
    parsed = _parse(content, entry.file.name)
    if parsed.sha256 != entry.sha256 or (parsed.code, parsed.version) != (entry.code, entry.version):
        raise ParameterSetConflict(
            f"{entry.file.name} changed after it was published (its SHA-256 is {parsed.sha256}, "
            f"published.toml says {entry.sha256}): publish a new version instead",
            code=code,
        )
    return parsed


def load_shipped(session: Session) -> str:
    """Keep every published parameter set in the database (idempotent; refuses a changed one)."""
    added = []
    for entry in published_sets():
        shipped = shipped_parameter_set(entry.code, entry.version)
        stored = head.parameter_set(session, entry.code, entry.version)
        if stored is None:
            head.insert_parameter_set(
                session,
                code=shipped.code,
                version=shipped.version,
                status=shipped.status,
                sha256=shipped.sha256,
                content=entry.file.read_text(encoding="utf-8"),
                loaded_at_us=now_micros(),
            )
            added.append(f"{shipped.code} {shipped.version}")
        elif stored.sha256 != shipped.sha256:
            raise ParameterSetConflict(
                f"parameter set {entry.code} {entry.version} in the database differs from the shipped file",
                code=entry.code,
            )
    return "registry parameter sets: " + (", ".join(added) + " loaded" if added else "up to date")


def parameter_set(session: Session | None, code: str, version: str | None = None) -> ParameterSet:
    """The parameter set as the registry keeps it (the database copy), or the shipped file when
    there is no database (the command-line calculator)."""
    if session is None:
        return shipped_parameter_set(code, version)
    stored = head.parameter_set(session, code, version)
    if stored is None:
        raise ParameterSetNotFound(
            f"parameter set {code!r} {version or ''} is not loaded (run `seagreen init`)".replace("  ", " "),
            code=code,
        )
    parsed = _parse(stored.content.encode("utf-8"), f"{code} {stored.version}")
    if parsed.sha256 != stored.sha256:
        raise ParameterSetConflict(
            f"parameter set {code} {stored.version} was altered in the database", code=code
        )
    return parsed


def list_methodologies() -> list[MethodologyInfo]:
    return latest_methodologies()


def calculate(
    session: Session | None,
    methodology_code: str,
    inputs: dict[str, Any],
    *,
    methodology_version: str | None = None,
    parameter_set_version: str | None = None,
) -> Receipt:
    """Run a methodology on ``inputs`` and return its receipt (nothing is stored)."""
    methodology = find_methodology(methodology_code, methodology_version)
    params = parameter_set(session, methodology.parameter_set, parameter_set_version)
    return methodology.calculate(inputs, params)


def calculate_file(methodology_code: str, content: bytes) -> Receipt:
    """The command line's calculator: inputs from a JSON file, the shipped parameter sets."""
    return calculate(None, methodology_code, load_inputs_json(content))


def recompute(session: Session | None, receipt: dict[str, Any]) -> Receipt:
    """Run a stored receipt's methodology version on its inputs with its parameter set again."""
    try:
        code, version = receipt["methodology"], receipt["methodology_version"]
        params_code, params_version = receipt["parameter_set"], receipt["parameter_set_version"]
        inputs = receipt["inputs"]
    except KeyError as exc:
        raise InputsInvalid(
            f"not a receipt: {exc} is missing", errors=[{"field": str(exc), "reason": "missing"}]
        ) from exc
    methodology = find_methodology(code, version)
    params = parameter_set(session, params_code, params_version)
    if params.sha256 != receipt.get("parameter_set_sha256"):
        raise ParameterSetConflict(
            f"parameter set {params_code} {params_version} is not the one the receipt used"
        )
    return methodology.calculate(inputs, params)


@lru_cache(maxsize=4)
def working_calendar(path: Path | None = None) -> WorkingCalendar:
    """The holiday calendar of public notices: the shipped list, or the deployment's own file."""
    source = path or HOLIDAYS_FILE
    try:
        return parse_calendar(source.read_bytes())
    except (OSError, CalendarError) as exc:
        raise RegistryError(f"the holiday calendar {source} cannot be read: {exc}") from exc


def demo_inputs(name: str) -> dict[str, Any]:
    """Monitoring inputs shipped for the demo projects (``data/registry/demo/<name>.json``)."""
    return load_inputs_json((DEMO_DIR / f"{name}.json").read_bytes())


def receipt_json(receipt: Receipt) -> str:
    return json.dumps(receipt.as_json(), ensure_ascii=False, sort_keys=True)
