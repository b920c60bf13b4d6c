"""Builders for the personal carbon account's tests: behaviours, versions, catalogue and event files."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from seagreen.carbon_account.domain import (
    CATALOGUE_COLUMNS,
    Behaviour,
    Dimension,
    FactorStatus,
    Methodology,
    MethodologyVersion,
    PartnerKind,
)

EVENT_HEADER = ["event_id", "resident_ref", "behaviour", "quantity", "occurred_at", "dedupe_key"]


def behaviour(
    code: str = "bus_trip",
    factor: str | Decimal = "100",
    *,
    daily_cap_g: int | None = None,
    monthly_cap_g: int | None = None,
    kinds: Iterable[str] = ("transit", "clearing"),
    dimension: Dimension = Dimension.TRAVEL,
    unit: str = "trip",
    status: FactorStatus = FactorStatus.PUBLISHED,
) -> Behaviour:
    return Behaviour(
        code=code,
        name_zh=f"{code} 中文名",
        name_en=code.replace("_", " "),
        dimension=dimension,
        unit=unit,
        factor_g_per_unit=Decimal(factor),
        daily_cap_g=daily_cap_g,
        monthly_cap_g=monthly_cap_g,
        partner_kinds=frozenset(PartnerKind(kind) for kind in kinds),
        factor_status=status,
        source="test source",
        method="test method" if status is FactorStatus.ESTIMATE else "",
    )


def version(
    code: str = "test-v1",
    effective_from: date = date(2020, 1, 1),
    g_per_point: int = 100,
    behaviours: Sequence[Behaviour] | None = None,
) -> MethodologyVersion:
    chosen = behaviours if behaviours is not None else [behaviour()]
    return MethodologyVersion(code, f"Test {code}", effective_from, g_per_point, {b.code: b for b in chosen})


def methodology(*versions: MethodologyVersion) -> Methodology:
    return Methodology(versions or (version(),))


def catalogue_row(**overrides: str) -> dict[str, str]:
    row = {
        "code": "bus_trip",
        "name_zh": "公交出行",
        "name_en": "Bus trip",
        "dimension": "travel",
        "unit": "trip",
        "factor_g_per_unit": "100",
        "daily_cap_g": "600",
        "monthly_cap_g": "",
        "partner_kinds": "transit clearing",
        "factor_status": "published",
        "source": "test",
        "method": "",
    }
    row.update(overrides)
    return row


def catalogue_csv(rows: Iterable[Mapping[str, str]], *, comments: Sequence[str] = ()) -> str:
    buffer = io.StringIO()
    for line in comments:
        buffer.write(f"# {line}\n")
    writer = csv.DictWriter(buffer, fieldnames=list(CATALOGUE_COLUMNS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def event(**overrides: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "event_id": "e-1",
        "resident_ref": "r-1",
        "behaviour": "bus_trip",
        "quantity": "1",
        "occurred_at": "2024-06-01T08:00:00+08:00",
    }
    raw.update(overrides)
    return raw


def event_rows(count: int, *, start: int = 1, behaviour_code: str = "bus_trip") -> list[dict[str, str]]:
    return [
        {
            "event_id": f"e-{number}",
            "resident_ref": f"r-{number % 97}",
            "behaviour": behaviour_code,
            "quantity": f"{number % 7 + 1}.5",
            "occurred_at": f"2024-06-{number % 28 + 1:02d}T08:{number % 60:02d}:00+08:00",
            "dedupe_key": f"d-{number}",
        }
        for number in range(start, start + count)
    ]


def csv_text(rows: Iterable[Mapping[str, str]], header: Sequence[str] = EVENT_HEADER) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(header), lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def write_text(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def jsonl_text(records: Iterable[Mapping[str, Any]]) -> str:
    return "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text)


# -- phase 2: partners, residents, intake ------------------------------------------------------

INTAKE_NOW = datetime.fromisoformat("2024-06-10T12:00:00+08:00")
DEDUPE_PREFIX = "test-dedupe-prefix"


def make_partner(session: Any, code: str = "t-bus", kind: str = "transit") -> str:
    from seagreen.carbon_account import service
    from tests.factories.identity import TEST_ACTOR

    service.add_partner(session, code, kind=kind, name=f"{code} partner", actor=TEST_ACTOR)
    return code


def make_residents(
    session: Any, refs: Iterable[str], partners: Iterable[str], *, granted: datetime | None = None
) -> None:
    from seagreen.carbon_account import service
    from seagreen.identity import service as identity
    from tests.factories.identity import TEST_ACTOR

    refs = list(refs)
    identity.ensure_resident_refs(session, refs, actor=TEST_ACTOR)
    service.set_consents(
        session,
        {ref: set(partners) for ref in refs},
        actor=TEST_ACTOR,
        source="tests",
        now=granted or datetime.fromisoformat("2024-01-01T00:00:00+08:00"),
        revoke_others=False,
    )


def submit(
    session: Any,
    partner_code: str,
    events: Sequence[Mapping[str, Any]],
    *,
    now: datetime = INTAKE_NOW,
    settle: bool = True,
) -> Any:
    from seagreen.carbon_account import service
    from tests.factories.identity import TEST_ACTOR

    return service.submit_events(
        session,
        partner_code=partner_code,
        events=events,
        prefix=DEDUPE_PREFIX,
        actor=TEST_ACTOR,
        now=now,
        settle=settle,
    )
