"""Pure rules of the personal carbon account (个人碳账户): catalogue, event checks and accounting.

Three things live here, all without I/O:

* the behaviour catalogue (行为目录), i.e. the accounting methodology: a :class:`Behaviour` per
  low-carbon behaviour and a :class:`MethodologyVersion` that takes effect on a local date;
* the checks an incoming event passes before it is accounted (:func:`check_event`), returning
  ``(field, reason)`` errors instead of raising;
* the accounting itself, as functions over aggregates (:func:`apply_reductions`), so that an
  incremental ingest computes the *change* of credited grams and points from the stored totals
  and a batch, and the final state does not depend on order or batching.

Rules (docs/resident/carbon-account.md explains them to residents):

* per event ``reduction_g = floor(factor × quantity)`` in exact decimal arithmetic;
* per resident, behaviour and local day (Asia/Shanghai): credited = min(Σ reduction_g, daily cap);
* per resident, behaviour and local month: credited = min(Σ daily credited, monthly cap);
* per resident: ``points = floor(Σ credited_g / g_per_point)``.

Versions take effect at 00:00 Asia/Shanghai of their ``effective_from`` date, so a local day is
always accounted under exactly one version. A version that starts in the middle of a month opens a
new cap period: the monthly cap is applied per (month, version), and each version's monthly cap
covers its own part of the month. Points are ``floor(Σ_v credited_v / g_per_point_v)`` summed as
exact fractions, which is the plain rule whenever all versions share one points rate.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from fractions import Fraction
from types import MappingProxyType
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")  # the same zone as seagreen.kit.clock: what "a day" means here

FUTURE_TOLERANCE = timedelta(minutes=5)
DEFAULT_BACKFILL_DAYS = 90
QUANTITY_DECIMALS = 3
FACTOR_DECIMALS = 6
MAX_QUANTITY = Decimal(1_000_000_000)
MAX_FACTOR_G = Decimal(10_000_000)  # 10 t CO2e per unit: anything larger is a typo
MAX_CAP_G = 10**12
MAX_EVENT_ID = 128
MAX_RESIDENT_REF = 64
MAX_DEDUPE_KEY = 256
WHITE_SPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
"""What ``str.strip()`` removes from the ends of an event's text fields: every character for which
``str.isspace()`` is true (tabs, line breaks and Unicode spaces, not only the space). A set-based
check must strip exactly these to agree with ``check_event``."""

CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,47}\Z")
VERSION_CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}\Z")
UNIT_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,23}\Z")


class PartnerKind(StrEnum):
    """Who may report a behaviour: the kinds of data partner (数据合作方)."""

    TRANSIT = "transit"
    UTILITY = "utility"
    GOVERNMENT = "government"
    BANK = "bank"
    CLEARING = "clearing"
    RECYCLER = "recycler"
    PEER = "peer"


class Dimension(StrEnum):
    """What a behaviour saves (维度). Names for people are in the translation catalogue:
    出行 travel, 纸张 paper, 水 water, 电 electricity, 能源 energy, 回收 recycling, 消费 consumption,
    政务 e-government and public services."""

    TRAVEL = "travel"
    PAPER = "paper"
    WATER = "water"
    ELECTRICITY = "electricity"
    ENERGY = "energy"
    RECYCLING = "recycling"
    CONSUMPTION = "consumption"
    E_GOVERNMENT = "e_government"


class FactorStatus(StrEnum):
    """How far a factor can be trusted: read in a published source, or estimated (with a method)."""

    PUBLISHED = "published"
    ESTIMATE = "estimate"


# ---------------------------------------------------------------------------------------------
# The catalogue
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Behaviour:
    """One low-carbon behaviour (低碳行为) and how it is accounted under one version."""

    code: str
    name_zh: str
    name_en: str
    dimension: Dimension
    unit: str
    factor_g_per_unit: Decimal
    daily_cap_g: int | None
    monthly_cap_g: int | None
    partner_kinds: frozenset[PartnerKind]
    factor_status: FactorStatus
    source: str
    method: str = ""

    def reduction_g(self, quantity: Decimal) -> int:
        """``reduction_g(factor, quantity)``, the factor's integer fraction computed once."""
        return floor_of_product(self._factor_ratio, quantity)

    @functools.cached_property
    def _factor_ratio(self) -> tuple[int, int]:
        return self.factor_g_per_unit.as_integer_ratio()

    def allows(self, kind: PartnerKind | str) -> bool:
        return kind in self.partner_kinds

    def canonical(self) -> list[Any]:
        """Every field in a fixed order and form (what the version's content hash covers)."""
        return [
            self.code,
            self.name_zh,
            self.name_en,
            self.dimension.value,
            self.unit,
            decimal_text(self.factor_g_per_unit),
            self.daily_cap_g,
            self.monthly_cap_g,
            sorted(kind.value for kind in self.partner_kinds),
            self.factor_status.value,
            self.source,
            self.method,
        ]


@dataclass(frozen=True, eq=False)
class MethodologyVersion:
    """A published, immutable version of the catalogue with its points rate (积分兑换比例)."""

    code: str
    name: str
    effective_from: date
    g_per_point: int
    behaviours: Mapping[str, Behaviour]

    def behaviour(self, code: str) -> Behaviour | None:
        return self.behaviours.get(code)

    def content_hash(self) -> str:
        """SHA-256 of the version's full content: the provenance every credit and point carries."""
        body = [
            self.code,
            self.name,
            self.effective_from.isoformat(),
            self.g_per_point,
            [self.behaviours[code].canonical() for code in sorted(self.behaviours)],
        ]
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True, eq=False)
class Methodology:
    """Every published version, in order of ``effective_from``: which one was in force when."""

    versions: tuple[MethodologyVersion, ...] = ()
    _starts: tuple[date, ...] = field(init=False, repr=False)
    _by_code: dict[str, MethodologyVersion] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.versions, key=lambda v: v.effective_from))
        starts = tuple(v.effective_from for v in ordered)
        if len(set(starts)) != len(starts):
            raise ValueError("two versions take effect on the same date")
        by_code = {version.code: version for version in ordered}
        if len(by_code) != len(ordered):
            raise ValueError("two versions share a code")
        object.__setattr__(self, "versions", ordered)
        object.__setattr__(self, "_starts", starts)
        object.__setattr__(self, "_by_code", by_code)

    def on(self, day: date) -> MethodologyVersion | None:
        """The version in force on a local day (None before the first version)."""
        index = bisect.bisect_right(self._starts, day) - 1
        return self.versions[index] if index >= 0 else None

    def at(self, moment: datetime) -> MethodologyVersion | None:
        """The version in force at a moment (its Asia/Shanghai date decides)."""
        return self.on(local_day(moment))

    def by_code(self, code: str) -> MethodologyVersion | None:
        return self._by_code.get(code)

    @property
    def latest(self) -> MethodologyVersion | None:
        return self.versions[-1] if self.versions else None

    def knows_behaviour(self, code: str) -> bool:
        return any(code in version.behaviours for version in self.versions)


@dataclass(frozen=True)
class RowError:
    """One problem in one row of a file: row number, field (column) and reason."""

    row: int
    field: str
    reason: str
    detail: str = ""

    def __str__(self) -> str:
        text = f"row {self.row}, {self.field}: {self.reason}"
        return f"{text} ({self.detail})" if self.detail else text


CATALOGUE_COLUMNS = (
    "code",
    "name_zh",
    "name_en",
    "dimension",
    "unit",
    "factor_g_per_unit",
    "daily_cap_g",
    "monthly_cap_g",
    "partner_kinds",
    "factor_status",
    "source",
    "method",
)
_REQUIRED_CATALOGUE = frozenset(CATALOGUE_COLUMNS) - {"daily_cap_g", "monthly_cap_g", "method"}


def parse_catalogue(
    rows: Iterable[tuple[int, Mapping[str, str | None]]],
) -> tuple[list[Behaviour], list[RowError]]:
    """Turn catalogue rows ``(row number, {column: text})`` into behaviours; collect every error.

    ``partner_kinds`` is a space-separated list; caps are whole grams or empty (no cap); an
    ``estimate`` must say its ``method``.
    """
    behaviours: list[Behaviour] = []
    errors: list[RowError] = []
    first_row: dict[str, int] = {}
    for number, raw in rows:
        row_errors: list[RowError] = []
        cells = {column: (raw.get(column) or "").strip() for column in CATALOGUE_COLUMNS}
        row_errors.extend(
            RowError(number, column, "missing")
            for column in CATALOGUE_COLUMNS
            if column in _REQUIRED_CATALOGUE and not cells[column]
        )
        behaviour = _behaviour_from_cells(number, cells, first_row, row_errors)
        if cells["code"] and cells["code"] not in first_row:
            first_row[cells["code"]] = number
        if row_errors:
            errors.extend(row_errors)
        elif behaviour is not None:
            behaviours.append(behaviour)
    if not behaviours and not errors:
        errors.append(RowError(0, "file", "no behaviours"))
    return behaviours, errors


def _behaviour_from_cells(
    number: int, cells: Mapping[str, str], first_row: Mapping[str, int], errors: list[RowError]
) -> Behaviour | None:
    def problem(column: str, reason: str) -> None:
        errors.append(RowError(number, column, reason))

    code = cells["code"]
    if code and not CODE_PATTERN.match(code):
        problem("code", f"{code!r} is not a snake_case code")
    elif code in first_row:
        problem("code", f"duplicate of row {first_row[code]}")
    dimension = _enum(Dimension, cells["dimension"])
    if cells["dimension"] and dimension is None:
        problem("dimension", f"unknown {cells['dimension']!r} (one of {', '.join(Dimension)})")
    unit = cells["unit"]
    if unit and not UNIT_PATTERN.match(unit):
        problem("unit", f"{unit!r} is not a unit name")
    factor = None
    if cells["factor_g_per_unit"]:
        factor, reason = _parse_factor(cells["factor_g_per_unit"])
        if reason:
            problem("factor_g_per_unit", reason)
    daily, daily_reason = _parse_cap(cells["daily_cap_g"])
    monthly, monthly_reason = _parse_cap(cells["monthly_cap_g"])
    if daily_reason:
        problem("daily_cap_g", daily_reason)
    if monthly_reason:
        problem("monthly_cap_g", monthly_reason)
    if daily is not None and monthly is not None and monthly < daily:
        problem("monthly_cap_g", "below the daily cap")
    kinds: set[PartnerKind] = set()
    for word in cells["partner_kinds"].replace(",", " ").split():
        kind = _enum(PartnerKind, word)
        if kind is None:
            problem("partner_kinds", f"unknown {word!r} (one of {', '.join(PartnerKind)})")
        else:
            kinds.add(kind)
    status = _enum(FactorStatus, cells["factor_status"])
    if cells["factor_status"] and status is None:
        problem("factor_status", "must be 'published' or 'estimate'")
    if status is FactorStatus.ESTIMATE and not cells["method"]:
        problem("method", "an estimate must say how it was made")
    if errors or dimension is None or factor is None or status is None:
        return None
    return Behaviour(
        code=code,
        name_zh=cells["name_zh"],
        name_en=cells["name_en"],
        dimension=dimension,
        unit=unit,
        factor_g_per_unit=factor,
        daily_cap_g=daily,
        monthly_cap_g=monthly,
        partner_kinds=frozenset(kinds),
        factor_status=status,
        source=cells["source"],
        method=cells["method"],
    )


def check_new_version(
    code: str,
    name: str,
    effective_from: date,
    g_per_point: int,
    existing: Methodology,
    today: date,
) -> list[RowError]:
    """Why a new version may not be published (row 0 errors), or nothing.

    Effective dates strictly increase, and a new version starts after today (local), so no event
    already accounted changes its version; only the very first version may start in the past.
    """
    errors: list[RowError] = []
    if not VERSION_CODE_PATTERN.match(code):
        errors.append(RowError(0, "code", f"{code!r} is not a version code (e.g. weihai-v2)"))
    elif existing.by_code(code) is not None:
        errors.append(RowError(0, "code", f"version {code!r} is already published"))
    if not name.strip():
        errors.append(RowError(0, "name", "missing"))
    if isinstance(g_per_point, bool) or not isinstance(g_per_point, int) or g_per_point <= 0:
        errors.append(RowError(0, "g_per_point", "must be a positive whole number of grams"))
    latest = existing.latest
    if latest is not None:
        if effective_from <= latest.effective_from:
            errors.append(
                RowError(
                    0,
                    "effective_from",
                    f"must be after {latest.effective_from.isoformat()} (when {latest.code} took effect)",
                )
            )
        elif effective_from <= today:
            errors.append(RowError(0, "effective_from", f"must be after today ({today.isoformat()})"))
    return errors


def _enum(kind: type[Any], text: str) -> Any:
    try:
        return kind(text.strip().lower())
    except ValueError:
        return None


def _parse_factor(text: str) -> tuple[Decimal | None, str]:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None, f"{text!r} is not a number"
    if not value.is_finite():
        return None, f"{text!r} is not a number"
    if value <= 0:
        return None, "must be positive"
    if value > MAX_FACTOR_G:
        return None, f"larger than {MAX_FACTOR_G} g per unit"
    if decimal_places(value) > FACTOR_DECIMALS:
        return None, f"more than {FACTOR_DECIMALS} decimals"
    return value, ""


def _parse_cap(text: str) -> tuple[int | None, str]:
    if not text:
        return None, ""
    if not text.isdigit():
        return None, f"{text!r} is not a whole number of grams"
    value = int(text)
    if value <= 0:
        return None, "must be positive (leave empty for no cap)"
    if value > MAX_CAP_G:
        return None, "too large"
    return value, ""


# ---------------------------------------------------------------------------------------------
# Numbers and time
# ---------------------------------------------------------------------------------------------


def decimal_places(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)


def decimal_text(value: Decimal) -> str:
    """A Decimal as plain text without exponent or trailing zeros (``26.90`` → ``26.9``)."""
    text = format(value.normalize(), "f")
    return text if text != "-0" else "0"


def reduction_g(factor_g_per_unit: Decimal, quantity: Decimal) -> int:
    """``floor(factor × quantity)``, exact: both as integer fractions (a decimal context per event
    cost four times as much; the real-time intake computes a thousand a request)."""
    return floor_of_product(factor_g_per_unit.as_integer_ratio(), quantity)


def floor_of_product(factor: tuple[int, int], quantity: Decimal) -> int:
    """``floor(numerator / denominator × quantity)``, exact: the one formula of a reduction."""
    factor_num, factor_den = factor
    quantity_num, quantity_den = quantity.as_integer_ratio()
    return (factor_num * quantity_num) // (factor_den * quantity_den)


FIXED_OFFSET_SINCE = datetime(1992, 1, 1, tzinfo=UTC)
"""China has kept UTC+8 all year since its last summer time ended in September 1991."""
LOCAL_OFFSET = timedelta(hours=8)


def local_day(moment: datetime) -> date:
    """The Asia/Shanghai date of an instant (the fixed offset where it holds: the zone database
    costs a look-up per event)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: give a time zone")
    if moment >= FIXED_OFFSET_SINCE:
        return (moment.astimezone(UTC) + LOCAL_OFFSET).date()
    return moment.astimezone(LOCAL_TZ).date()


def month_start(day: date) -> date:
    return day.replace(day=1)


def parse_quantity(value: object) -> tuple[Decimal | None, str]:
    """A quantity as a Decimal, or the reason it is not one (a positive number, ≤ 3 decimals)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, "missing"
    if isinstance(value, bool):
        return None, "not_a_number"
    if isinstance(value, float):
        value = repr(value)
    if type(value) is str or type(value) is int:
        return _parse_quantity_seen(value)
    return _parse_quantity(value)


@functools.lru_cache(maxsize=4096, typed=True)
def _parse_quantity_seen(value: str | int) -> tuple[Decimal | None, str]:
    """``_parse_quantity`` of a text or whole number, remembered: a partner's quantities are few
    distinct texts ("1" for every trip), and parsing and checking one cost a fifth of an event's
    checks (docs/decisions/0005, phase 17). The answer is immutable, so sharing it is safe."""
    return _parse_quantity(value)


def _parse_quantity(value: object) -> tuple[Decimal | None, str]:
    try:
        number = Decimal(value.strip() if isinstance(value, str) else value)  # type: ignore[arg-type]
    except (InvalidOperation, TypeError, ValueError):
        return None, "not_a_number"
    if not number.is_finite():
        return None, "not_a_number"
    if number <= 0:
        return None, "not_positive"
    if decimal_places(number) > QUANTITY_DECIMALS:
        return None, "too_many_decimals"
    if number > MAX_QUANTITY:
        return None, "too_large"
    return number, ""


def parse_occurred_at(value: object) -> tuple[datetime | None, str]:
    """An ISO 8601 time as an aware UTC datetime; a time without an offset is Asia/Shanghai."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, "missing"
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            return None, "invalid_datetime"
    else:
        return None, "invalid_datetime"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL_TZ)
    try:
        return moment.astimezone(UTC), ""
    except OverflowError:  # its zone carries it past year 1 or 9999 in UTC: held at that end
        return (EARLIEST_INSTANT if moment.year == 1 else LATEST_INSTANT), ""


EARLIEST_INSTANT = datetime(1, 1, 1, tzinfo=UTC)
LATEST_INSTANT = datetime(9999, 12, 30, tzinfo=UTC)
"""Where ``parse_occurred_at`` holds a time that its zone takes past the ends of ``datetime``
(``0001-01-01T00:00:00+14:00``; before, it failed the whole request): far outside any window,
so it is refused as too old or in the future, as the bulk path's checks refuse it, while its local
day can still be computed."""


# ---------------------------------------------------------------------------------------------
# Events
# ---------------------------------------------------------------------------------------------

EVENT_FIELDS = ("event_id", "resident_ref", "behaviour", "quantity", "occurred_at")


class Reason(StrEnum):
    """Why an event is rejected: stable codes, translated for people (carbon_account.reason.*)."""

    MISSING = "missing"
    TOO_LONG = "too_long"
    INVALID_CHARACTER = "invalid_character"
    UNKNOWN_BEHAVIOUR = "unknown_behaviour"
    PARTNER_KIND_NOT_ALLOWED = "partner_kind_not_allowed"
    NOT_A_NUMBER = "not_a_number"
    NOT_POSITIVE = "not_positive"
    TOO_MANY_DECIMALS = "too_many_decimals"
    TOO_LARGE = "too_large"
    INVALID_DATETIME = "invalid_datetime"
    IN_FUTURE = "in_future"
    BEFORE_BACKFILL_WINDOW = "before_backfill_window"
    NO_VERSION_IN_FORCE = "no_version_in_force"


@dataclass(frozen=True)
class FieldError:
    field: str
    reason: str


NO_ATTRIBUTES: Mapping[str, str] = MappingProxyType({})


class AcceptedEvent(NamedTuple):
    """An event that passed every check, with its reduction under the version in force.

    A named tuple, as ``EventCheck``: the real-time API checks a thousand events a request, and
    building a frozen dataclass (a ``object.__setattr__`` call a field) cost 4 % of a request's
    CPU (docs/decisions/0005, phase 17)."""

    event_id: str
    resident_ref: str
    behaviour: str
    quantity: Decimal
    occurred_at: datetime
    day: date
    version: str
    reduction_g: int
    dedupe_key: str | None = None
    attributes: Mapping[str, str] = NO_ATTRIBUTES


class EventCheck(NamedTuple):
    event: AcceptedEvent | None
    errors: tuple[FieldError, ...] = ()

    @property
    def ok(self) -> bool:
        return self.event is not None


NUL = "\x00"
"""The one character an identifier may not hold (``Reason.INVALID_CHARACTER``): PostgreSQL's text
cannot store it, so an event id or resident ref carrying it failed the whole request or file there
while SQLite stored it. It is refused on every database, by both intake paths."""


def kept_text(text: str) -> str:
    """``text`` as a refused event's id is kept (in the database for the API, in the quarantine
    file for a file): ``NUL`` shown as U+FFFD."""
    return text.replace(NUL, "\ufffd")


def _text_field(raw: Mapping[str, object], name: str, limit: int, errors: list[FieldError]) -> str:
    value = raw.get(name)
    text = "" if value is None else str(value).strip()
    if not text:
        errors.append(FieldError(name, Reason.MISSING))
    elif len(text) > limit:
        errors.append(FieldError(name, Reason.TOO_LONG))
    elif NUL in text:
        errors.append(FieldError(name, Reason.INVALID_CHARACTER))
    return text


@functools.lru_cache(maxsize=16)
def accepted_window(now: datetime, backfill_days: int) -> tuple[datetime, datetime]:
    """The oldest and latest times an event may have when checked at ``now`` (the same for every
    event of a request: computed once, not per event)."""
    return now - timedelta(days=backfill_days), now + FUTURE_TOLERANCE


def check_event(
    raw: Mapping[str, object],
    *,
    partner_kind: PartnerKind | str,
    methodology: Methodology,
    now: datetime,
    backfill_days: int = DEFAULT_BACKFILL_DAYS,
) -> EventCheck:
    """Check one event as a partner sent it; every problem is reported, not just the first.

    ``raw`` has ``event_id``, ``resident_ref``, ``behaviour``, ``quantity``, ``occurred_at`` and
    optionally ``dedupe_key`` and ``attributes``. Residents and consent are checked elsewhere.
    """
    errors: list[FieldError] = []
    event_id = _text_field(raw, "event_id", MAX_EVENT_ID, errors)
    resident_ref = _text_field(raw, "resident_ref", MAX_RESIDENT_REF, errors)
    behaviour_code = _text_field(raw, "behaviour", 64, errors)
    quantity, quantity_reason = parse_quantity(raw.get("quantity"))
    if quantity_reason:
        errors.append(FieldError("quantity", quantity_reason))
    occurred_at, time_reason = parse_occurred_at(raw.get("occurred_at"))
    if time_reason:
        errors.append(FieldError("occurred_at", time_reason))
    version = None
    day = None
    if occurred_at is not None:
        oldest, latest = accepted_window(now, backfill_days)
        if occurred_at > latest:
            errors.append(FieldError("occurred_at", Reason.IN_FUTURE))
        elif occurred_at < oldest:
            errors.append(FieldError("occurred_at", Reason.BEFORE_BACKFILL_WINDOW))
        day = local_day(occurred_at)
        version = methodology.on(day)  # ``methodology.at``, the local day computed once
        if version is None:
            errors.append(FieldError("occurred_at", Reason.NO_VERSION_IN_FORCE))
    behaviour = None
    if behaviour_code:
        if version is not None:
            behaviour = version.behaviour(behaviour_code)
            known = behaviour is not None
        else:
            known = methodology.knows_behaviour(behaviour_code)
        if not known:
            errors.append(FieldError("behaviour", Reason.UNKNOWN_BEHAVIOUR))
        elif behaviour is not None and not behaviour.allows(partner_kind):
            errors.append(FieldError("behaviour", Reason.PARTNER_KIND_NOT_ALLOWED))
    dedupe_value = raw.get("dedupe_key")
    dedupe_key = None if dedupe_value is None else str(dedupe_value).strip() or None
    if dedupe_key is not None:
        if len(dedupe_key) > MAX_DEDUPE_KEY:
            errors.append(FieldError("dedupe_key", Reason.TOO_LONG))
        elif NUL in dedupe_key:
            errors.append(FieldError("dedupe_key", Reason.INVALID_CHARACTER))
    if errors:
        return EventCheck(None, tuple(errors))
    assert behaviour is not None and version is not None and quantity is not None and occurred_at is not None
    assert day is not None
    attributes = raw.get("attributes") or {}
    assert type(attributes) is dict or isinstance(attributes, Mapping)  # (the ABC check costs more)
    return EventCheck(
        AcceptedEvent(
            event_id=event_id,
            resident_ref=resident_ref,
            behaviour=behaviour_code,
            quantity=quantity,
            occurred_at=occurred_at,
            day=day,
            version=version.code,
            reduction_g=behaviour.reduction_g(quantity),
            dedupe_key=dedupe_key,
            attributes=_attribute_texts(attributes) if attributes else NO_ATTRIBUTES,
        )
    )


# ---------------------------------------------------------------------------------------------
# Accounting over aggregates
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class DayKey:
    """A resident's behaviour on one local day (the daily cap's period). ``version`` is the
    version in force that day, so the key says which factors and caps apply."""

    resident: str
    behaviour: str
    day: date
    version: str

    @property
    def month(self) -> MonthKey:
        return MonthKey(self.resident, self.behaviour, month_start(self.day), self.version)


@dataclass(frozen=True, order=True)
class MonthKey:
    """A resident's behaviour in one local month under one version (the monthly cap's period)."""

    resident: str
    behaviour: str
    month: date
    version: str


@dataclass(frozen=True)
class DayTotal:
    reduction_g: int = 0
    credited_g: int = 0  # min(reduction_g, daily cap)


@dataclass(frozen=True)
class MonthTotal:
    day_credited_g: int = 0  # Σ of the month's daily credited grams
    credited_g: int = 0  # min(day_credited_g, monthly cap)


@dataclass(frozen=True)
class ResidentTotal:
    reduction_g: int = 0
    credited_g_by_version: Mapping[str, int] = field(default_factory=dict)
    points: int = 0

    @property
    def credited_g(self) -> int:
        return sum(self.credited_g_by_version.values())


@dataclass(frozen=True)
class Totals:
    """The stored aggregates that a batch touches (a key that is absent counts as zero)."""

    days: Mapping[DayKey, DayTotal] = field(default_factory=dict)
    months: Mapping[MonthKey, MonthTotal] = field(default_factory=dict)
    residents: Mapping[str, ResidentTotal] = field(default_factory=dict)


@dataclass(frozen=True)
class ResidentDelta:
    """What a batch adds to one resident: the amounts to post (never negative)."""

    reduction_g: int
    credited_g: int
    points: int


@dataclass(frozen=True)
class AccountingUpdate:
    """New values of every aggregate the batch touched, and each resident's increments."""

    days: dict[DayKey, DayTotal]
    months: dict[MonthKey, MonthTotal]
    residents: dict[str, ResidentTotal]
    deltas: dict[str, ResidentDelta]


def capped(total: int, cap: int | None) -> int:
    return total if cap is None else min(total, cap)


def points_for(credited_g_by_version: Mapping[str, int], g_per_point: Mapping[str, int]) -> int:
    """``floor(Σ_v credited_v / g_per_point_v)``, summed exactly (no remainder is lost)."""
    total = sum((Fraction(grams, g_per_point[v]) for v, grams in credited_g_by_version.items()), Fraction(0))
    return int(total // 1)


def sum_reductions(events: Iterable[AcceptedEvent]) -> dict[DayKey, int]:
    """Σ reduction_g per (resident, behaviour, local day, version)."""
    sums: dict[DayKey, int] = {}
    for event in events:
        key = DayKey(event.resident_ref, event.behaviour, event.day, event.version)
        sums[key] = sums.get(key, 0) + event.reduction_g
    return sums


def apply_reductions(
    totals: Totals, reductions: Mapping[DayKey, int], methodology: Methodology
) -> AccountingUpdate:
    """Add a batch's reductions (Σ per day key) to the stored totals; return the new totals and
    each resident's increments.

    Because every step is a sum followed by a cap, the result after any number of batches is the
    same as one batch of all the events, in any order.
    """
    days: dict[DayKey, DayTotal] = {}
    month_added: dict[MonthKey, int] = {}
    for key, added in reductions.items():
        if added < 0:
            raise ValueError(f"negative reduction for {key}")
        behaviour = _behaviour(methodology, key.version, key.behaviour)
        before = totals.days.get(key) or DayTotal()
        reduction = before.reduction_g + added
        credited = capped(reduction, behaviour.daily_cap_g)
        days[key] = DayTotal(reduction, credited)
        month_added[key.month] = month_added.get(key.month, 0) + credited - before.credited_g

    months: dict[MonthKey, MonthTotal] = {}
    credited_added: dict[str, dict[str, int]] = {}
    for month in month_added:
        behaviour = _behaviour(methodology, month.version, month.behaviour)
        before_month = totals.months.get(month) or MonthTotal()
        day_credited = before_month.day_credited_g + month_added[month]
        credited = capped(day_credited, behaviour.monthly_cap_g)
        months[month] = MonthTotal(day_credited, credited)
        by_version = credited_added.setdefault(month.resident, {})
        by_version[month.version] = by_version.get(month.version, 0) + credited - before_month.credited_g

    reduction_added: dict[str, int] = {}
    for day_key, added in reductions.items():
        reduction_added[day_key.resident] = reduction_added.get(day_key.resident, 0) + added

    rates = {version.code: version.g_per_point for version in methodology.versions}
    residents: dict[str, ResidentTotal] = {}
    deltas: dict[str, ResidentDelta] = {}
    for resident in reduction_added:
        before_resident = totals.residents.get(resident) or ResidentTotal()
        by_version = dict(before_resident.credited_g_by_version)
        for version, grams in credited_added.get(resident, {}).items():
            by_version[version] = by_version.get(version, 0) + grams
        points = points_for(by_version, rates)
        after = ResidentTotal(before_resident.reduction_g + reduction_added[resident], by_version, points)
        residents[resident] = after
        deltas[resident] = ResidentDelta(
            reduction_g=after.reduction_g - before_resident.reduction_g,
            credited_g=after.credited_g - before_resident.credited_g,
            points=after.points - before_resident.points,
        )
    return AccountingUpdate(days, months, residents, deltas)


DAYS_IN_ROW = 31


def unpack_days(packed: str | None) -> list[int | None]:
    """A stored month row's day sums (``"600,,1076,…"``: 31 fields, empty for a day without
    events) as a list of 31 (index 0 is the 1st of the month)."""
    if not packed:
        return [None] * DAYS_IN_ROW
    fields = packed.split(",")
    if len(fields) != DAYS_IN_ROW:
        raise ValueError(f"a month row holds {DAYS_IN_ROW} days, not {len(fields)}")
    return [int(text) if text else None for text in fields]


def pack_days(days: Sequence[int | None]) -> str:
    """The stored form of a month row's day sums (``unpack_days`` reverses it)."""
    if len(days) != DAYS_IN_ROW:
        raise ValueError(f"a month row holds {DAYS_IN_ROW} days, not {len(days)}")
    return ",".join("" if grams is None else str(grams) for grams in days)


@dataclass(frozen=True)
class MonthRow:
    """What is stored of a resident's behaviour in a local month: Σ reduction on each day, their
    sum, Σ of the days' credited grams (each capped by the daily cap), and the month's credit
    (capped by the monthly cap)."""

    days: tuple[int | None, ...] = (None,) * DAYS_IN_ROW
    reduction_g: int = 0
    day_credited_g: int = 0
    credited_g: int = 0


def add_to_month(
    before: MonthRow, added: Mapping[int, int], *, daily_cap_g: int | None, monthly_cap_g: int | None
) -> MonthRow:
    """``before`` plus new reductions by day of month (1-31): ``apply_reductions`` for one month
    row, the form the intake stores and the bulk path computes set-based (``service.month_arrays``). Only
    the days that change are visited: ``before``'s sums hold the others."""
    days = list(before.days)
    reduction, day_credited = before.reduction_g, before.day_credited_g
    for day, grams in added.items():
        if grams < 0:
            raise ValueError(f"negative reduction on day {day}")
        old = days[day - 1] or 0
        days[day - 1] = old + grams
        reduction += grams
        day_credited += capped(old + grams, daily_cap_g) - capped(old, daily_cap_g)
    return MonthRow(tuple(days), reduction, day_credited, capped(day_credited, monthly_cap_g))


def add_to_packed_month(
    packed: str | None,
    reduction_g: int,
    day_credited_g: int,
    added: Mapping[int, int],
    *,
    daily_cap_g: int | None,
    monthly_cap_g: int | None,
) -> tuple[str, int, int, int]:
    """``add_to_month`` on a month row as it is stored (``packed`` days, the reduction and the
    days' credited grams): ``(packed days, reduction_g, day_credited_g, credited_g)`` after it.
    Only the days that change are parsed and formatted again; the real-time intake updates a
    thousand month rows a request, and unpacking and packing all 31 days cost more than the rest
    of their accounting. Equal to ``pack_days(add_to_month(...).days)`` and its sums (tested)."""
    fields = (packed or _NO_DAYS).split(",")
    if len(fields) != DAYS_IN_ROW:
        raise ValueError(f"a month row holds {DAYS_IN_ROW} days, not {len(fields)}")
    for day, grams in added.items():
        if grams < 0:
            raise ValueError(f"negative reduction on day {day}")
        text = fields[day - 1]
        old = int(text) if text else 0
        fields[day - 1] = str(old + grams)
        reduction_g += grams
        day_credited_g += capped(old + grams, daily_cap_g) - capped(old, daily_cap_g)
    return ",".join(fields), reduction_g, day_credited_g, capped(day_credited_g, monthly_cap_g)


_NO_DAYS = "," * (DAYS_IN_ROW - 1)


def account(events: Sequence[AcceptedEvent], methodology: Methodology) -> AccountingUpdate:
    """Everything from nothing: the totals that a set of events produces."""
    return apply_reductions(Totals(), sum_reductions(events), methodology)


def _behaviour(methodology: Methodology, version_code: str, behaviour_code: str) -> Behaviour:
    version = methodology.by_code(version_code)
    behaviour = version.behaviour(behaviour_code) if version else None
    if behaviour is None:
        raise ValueError(f"behaviour {behaviour_code!r} is not in version {version_code!r}")
    return behaviour


# ---------------------------------------------------------------------------------------------
# Intake: the normalised form of an accepted event, shared by the API and the bulk path
# ---------------------------------------------------------------------------------------------

EPOCH_DAY = date(1970, 1, 1)
EPOCH_UTC = datetime(1970, 1, 1, tzinfo=UTC)  # made once: building it took most of an ``epoch_micros``


class Outcome(StrEnum):
    """What became of one event sent by a partner."""

    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"  # the same (partner, event_id) with the same content, or a later dedupe claim
    CONFLICT = "conflict"  # the same (partner, event_id) with other content: rejected, original kept
    REJECTED = "rejected"


class IntakeReason(StrEnum):
    """Rejection reasons decided against stored data (the others are :class:`Reason`)."""

    UNKNOWN_RESIDENT = "unknown_resident"
    NO_CONSENT = "no_consent"
    CONFLICT = "conflict"


def quantity_milli(quantity: Decimal) -> int:
    """A quantity (≤ 3 decimals) as an exact whole number of thousandths."""
    return int(quantity * 1000)


def day_number(day: date) -> int:
    """A local day as days since 1970-01-01 (how the totals tables key days)."""
    return (day - EPOCH_DAY).days


def month_number(day: date) -> int:
    """A local month as ``year * 12 + month - 1`` (how the totals tables key months)."""
    return day.year * 12 + day.month - 1


def epoch_micros(moment: datetime) -> int:
    delta = moment - EPOCH_UTC
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


_COMPACT = (",", ":")


def attribute_text(value: object) -> str:
    """One extra attribute's value (present, not ``None``) as the text kept with the event and
    compared with a resend's, the same whichever way it arrived (API, CSV, JSON Lines, Parquet),
    so that an event sent again by another channel is a duplicate and not a conflict: ``true`` /
    ``false`` for a boolean; a JSON number with a fraction (a ``float``, or the ``Decimal`` JSON
    Lines are read into) in Python's shortest form of its binary value, as the API's JSON parser
    gives it (``1.50`` → ``1.5``, ``1.0`` → ``1.0``); compact JSON with sorted keys for an object or
    a list; the text itself for anything else."""
    if isinstance(value, str):
        return value
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, ensure_ascii=False, separators=_COMPACT, sort_keys=True, default=_json_value)
    if isinstance(value, Decimal):  # a JSON number with a fraction, read exactly: as the API reads it
        return str(float(value))
    return str(value)  # str(float) is its shortest round-trip form


def _json_value(value: object) -> object:
    """What ``json`` cannot write inside a nested attribute: a decimal as its number (as a JSON
    number it was), anything else (a time, bytes) as its text."""
    return float(value) if isinstance(value, Decimal) else str(value)


def attributes_json(texts: Mapping[str, str]) -> str | None:
    """An event's attributes (each value's text by :func:`attribute_text`) as they are stored and
    compared with a resend's: compact JSON, keys sorted, UTF-8 as is; ``None`` when there is none.
    Every channel writes them through here, so the form is one."""
    if not texts:
        return None
    return json.dumps(texts, ensure_ascii=False, separators=_COMPACT, sort_keys=True)


def _attribute_texts(attributes: Mapping[str, object]) -> dict[str, str]:
    return {str(key): attribute_text(value) for key, value in attributes.items() if value is not None}


def dedupe_hash(key_prefix: str, dedupe_key: str) -> str:
    """A keyed hash of a dedupe key: ``SHA-256(prefix ‖ key)`` where the prefix is derived from the
    platform's PII hash key, so the stored hash says nothing without the key. (A prefix-keyed
    hash, not HMAC, because the bulk path computes it in SQL; it is a lookup key, not a MAC.)"""
    return hashlib.sha256((key_prefix + dedupe_key).encode()).hexdigest()
