"""Pure rules of green sub-branch recognition (绿色支行认定).

Three parts, none of which touches a database, the web or settings:

* the **indicator set** (指标体系): the form a bank fills and how its figures are scored. A set is
  data (``data/branches/*.toml``): fields, and indicators built from a few rule kinds (compare two
  quantities, count the options ticked, a yes, all of several rules), with weights, gates and a
  pass mark. Scores are integers of points with every input and comparison kept (provenance).
* the **workflow** as state machines: a recognition round, an application reviewed jointly by the
  authorities (认定需三方一致同意), a recognised branch's life (annual report, overdue, revocation,
  appeal, plaque withdrawn), an annual report, an appeal.
* the **calendar**: deadlines are local (Asia/Shanghai) dates; a deadline is met up to the end of
  that day. Annual reports are due by 31 March for the previous year (自认定后次年起).

Why the rules are what they are is written in ``docs/decisions/0020-green-branch-workflow.md`` and
``0021-green-branch-indicator-sets.md``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Context, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
DECIMAL = Context(prec=34, rounding=ROUND_HALF_EVEN)

# ==== indicator sets =============================================================================


class SetStatus(StrEnum):
    PROPOSAL = "proposal"  # 建议稿（估计值）: not an official text, shown as such everywhere
    OFFICIAL = "official"


class FieldKind(StrEnum):
    MONEY = "money"  # yuan with up to 2 decimals, kept as integer fen
    COUNT = "count"  # a whole number ≥ 0
    RATE = "rate"  # a percentage such as 4.35 (up to 4 decimals), kept as a Decimal string
    YES_NO = "yes_no"
    CHOICES = "choices"  # some of the field's options


OPERATORS = (">=", ">", "<=", "<", "=")
MAX_MONEY_FEN = 10**17  # a billion billion fen: far above any branch's balance sheet
MAX_COUNT = 10**9


@dataclass(frozen=True)
class Option:
    key: str
    zh: str
    en: str


@dataclass(frozen=True)
class FormField:
    """One input of the form (and of an annual report): money, a count, a rate, yes/no or choices."""

    key: str
    kind: FieldKind
    group: str
    zh: str
    en: str
    options: tuple[Option, ...] = ()

    def label(self, locale: str) -> str:
        return self.en if locale == "en" else self.zh


@dataclass(frozen=True)
class Group:
    key: str
    zh: str
    en: str


@dataclass(frozen=True)
class Quantity:
    """A number an indicator compares: a field, a share (ratio, shown in %), a growth rate (in %),
    an average (per: a ÷ b, such as training hours per person), or a constant."""

    kind: str  # field | ratio | growth | per | constant
    fields: tuple[str, ...] = ()
    constant: Decimal | None = None

    def describe(self) -> str:
        if self.kind == "constant":
            return str(self.constant)
        if self.kind == "field":
            return self.fields[0]
        return f"{self.kind}({', '.join(self.fields)})"


@dataclass(frozen=True)
class Rule:
    """``compare`` (left op right), ``count_at_least`` (field, minimum), ``yes`` (field), ``all`` (rules)."""

    kind: str
    left: Quantity | None = None
    op: str = ""
    right: Quantity | None = None
    field: str = ""
    minimum: int = 0
    rules: tuple[Rule, ...] = ()

    def fields_used(self) -> set[str]:
        used = {self.field} if self.field else set()
        for side in (self.left, self.right):
            if side is not None:
                used.update(side.fields)
        for rule in self.rules:
            used |= rule.fields_used()
        return used


@dataclass(frozen=True)
class Indicator:
    code: str
    zh: str
    en: str
    weight: int
    gate: bool
    rule: Rule
    basis: str

    def name(self, locale: str) -> str:
        return self.en if locale == "en" else self.zh


@dataclass(frozen=True)
class IndicatorSet:
    """A versioned indicator set: the form's fields, the indicators, the pass mark, the source."""

    code: str
    name_zh: str
    name_en: str
    status: SetStatus
    pass_mark: int
    pass_mark_basis: str
    source: str
    groups: tuple[Group, ...]
    fields: tuple[FormField, ...]
    indicators: tuple[Indicator, ...]

    @property
    def is_proposal(self) -> bool:
        return self.status is SetStatus.PROPOSAL

    @property
    def max_points(self) -> int:
        return sum(indicator.weight for indicator in self.indicators)

    def field(self, key: str) -> FormField | None:
        return next((f for f in self.fields if f.key == key), None)

    def indicator(self, code: str) -> Indicator | None:
        return next((i for i in self.indicators if i.code == code), None)

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name_zh

    def canonical(self) -> dict[str, Any]:
        """The set as plain data, in a fixed order: what its content hash is taken of."""

        def quantity(q: Quantity | None) -> dict[str, Any] | None:
            if q is None:
                return None
            if q.kind == "constant":
                return {"constant": str(q.constant)}
            return {q.kind: list(q.fields) if q.kind != "field" else q.fields[0]}

        def rule(r: Rule) -> dict[str, Any]:
            body: dict[str, Any] = {"kind": r.kind}
            if r.kind == "compare":
                body.update(left=quantity(r.left), op=r.op, right=quantity(r.right))
            elif r.kind == "all":
                body["rules"] = [rule(sub) for sub in r.rules]
            else:
                body["field"] = r.field
                if r.kind == "count_at_least":
                    body["min"] = r.minimum
            return body

        return {
            "code": self.code,
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "status": self.status.value,
            "pass_mark": self.pass_mark,
            "pass_mark_basis": self.pass_mark_basis,
            "source": self.source,
            "group": [{"key": g.key, "zh": g.zh, "en": g.en} for g in self.groups],
            "field": [
                {
                    "key": f.key,
                    "kind": f.kind.value,
                    "group": f.group,
                    "zh": f.zh,
                    "en": f.en,
                    **(
                        {"options": [{"key": o.key, "zh": o.zh, "en": o.en} for o in f.options]}
                        if f.options
                        else {}
                    ),
                }
                for f in self.fields
            ],
            "indicator": [
                {
                    "code": i.code,
                    "zh": i.zh,
                    "en": i.en,
                    "weight": i.weight,
                    "gate": i.gate,
                    "rule": rule(i.rule),
                    "basis": i.basis,
                }
                for i in self.indicators
            ],
        }

    def content_hash(self) -> str:
        return canonical_hash(self.canonical())


def canonical_hash(body: Any) -> str:
    """SHA-256 of the canonical JSON of ``body`` (sorted keys, no spaces, Chinese kept as is)."""
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class SetProblem:
    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}\Z")
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}\Z")


def parse_indicator_set(body: Mapping[str, Any]) -> tuple[IndicatorSet | None, list[SetProblem]]:
    """Read an indicator set from its TOML/JSON shape; every problem is named by where it is."""
    problems: list[SetProblem] = []

    def text(table: Mapping[str, Any], key: str, where: str) -> str:
        value = table.get(key)
        if not isinstance(value, str) or not value.strip():
            problems.append(SetProblem(where, f"'{key}' must be a non-empty text"))
            return ""
        return value.strip()

    code = text(body, "code", "set")
    if code and not CODE_PATTERN.match(code):
        problems.append(SetProblem("set", f"code {code!r} is not lower-case letters, digits and '-'"))
    status_text = text(body, "status", "set")
    try:
        status = SetStatus(status_text)
    except ValueError:
        problems.append(SetProblem("set", f"status {status_text!r} is not 'proposal' or 'official'"))
        status = SetStatus.PROPOSAL
    pass_mark = body.get("pass_mark")
    if not isinstance(pass_mark, int) or isinstance(pass_mark, bool) or pass_mark < 0:
        problems.append(SetProblem("set", "'pass_mark' must be a whole number ≥ 0"))
        pass_mark = 0

    groups = []
    for n, raw in enumerate(body.get("group") or [], start=1):
        where = f"group {n}"
        key = text(raw, "key", where)
        groups.append(Group(key, text(raw, "zh", where), text(raw, "en", where)))
    group_keys = {g.key for g in groups}

    fields: list[FormField] = []
    for n, raw in enumerate(body.get("field") or [], start=1):
        key = raw.get("key") if isinstance(raw.get("key"), str) else ""
        where = f"field {key or n}"
        if not KEY_PATTERN.match(key):
            problems.append(SetProblem(where, "'key' must be lower-case letters, digits and '_'"))
        try:
            kind = FieldKind(raw.get("kind"))
        except ValueError:
            problems.append(
                SetProblem(where, f"kind {raw.get('kind')!r} is not one of {[k.value for k in FieldKind]}")
            )
            kind = FieldKind.COUNT
        group = text(raw, "group", where)
        if group and group not in group_keys:
            problems.append(SetProblem(where, f"group {group!r} is not declared"))
        options = tuple(
            Option(
                text(o, "key", f"{where} option"),
                text(o, "zh", f"{where} option"),
                text(o, "en", f"{where} option"),
            )
            for o in raw.get("options") or []
        )
        if (kind is FieldKind.CHOICES) != bool(options):
            problems.append(SetProblem(where, "options are given for, and only for, a 'choices' field"))
        if len({o.key for o in options}) != len(options):
            problems.append(SetProblem(where, "option keys repeat"))
        fields.append(FormField(key, kind, group, text(raw, "zh", where), text(raw, "en", where), options))
    if len({f.key for f in fields}) != len(fields):
        problems.append(SetProblem("fields", "field keys repeat"))
    if not fields:
        problems.append(SetProblem("set", "no fields"))
    kinds = {f.key: f.kind for f in fields}

    def quantity(raw: Any, where: str) -> Quantity | None:
        if not isinstance(raw, Mapping) or len(raw) != 1:
            problems.append(
                SetProblem(where, "a quantity is one of {field=…}, {ratio|growth|per=[a,b]}, {constant=…}")
            )
            return None
        ((kind, value),) = raw.items()
        if kind == "constant":
            try:
                return Quantity("constant", constant=Decimal(str(value)))
            except InvalidOperation:
                problems.append(SetProblem(where, f"constant {value!r} is not a number"))
                return None
        names = [value] if kind == "field" else value
        if kind not in ("field", "ratio", "growth", "per") or not isinstance(names, list):
            problems.append(SetProblem(where, f"unknown quantity {kind!r}"))
            return None
        if kind != "field" and len(names) != 2:
            problems.append(SetProblem(where, f"{kind} takes two fields"))
            return None
        for name in names:
            if kinds.get(name) not in (FieldKind.MONEY, FieldKind.COUNT, FieldKind.RATE):
                problems.append(SetProblem(where, f"{name!r} is not a numeric field of this set"))
        return Quantity(kind, tuple(str(name) for name in names))

    def rule(raw: Any, where: str) -> Rule:
        if not isinstance(raw, Mapping):
            problems.append(SetProblem(where, "the rule must be a table"))
            return Rule("yes")
        kind = raw.get("kind")
        if kind == "compare":
            op = raw.get("op")
            if op not in OPERATORS:
                problems.append(SetProblem(where, f"op {op!r} is not one of {list(OPERATORS)}"))
            return Rule(
                "compare",
                left=quantity(raw.get("left"), where),
                op=str(op),
                right=quantity(raw.get("right"), where),
            )
        if kind in ("yes", "count_at_least"):
            name = str(raw.get("field"))
            wanted = FieldKind.YES_NO if kind == "yes" else FieldKind.CHOICES
            if kinds.get(name) is not wanted:
                problems.append(SetProblem(where, f"{kind} needs a {wanted.value} field, not {name!r}"))
            minimum = raw.get("min", 0)
            if kind == "count_at_least" and (not isinstance(minimum, int) or minimum < 1):
                problems.append(SetProblem(where, "'min' must be a whole number ≥ 1"))
            return Rule(kind, field=name, minimum=int(minimum) if isinstance(minimum, int) else 0)
        if kind == "all":
            subs = raw.get("rules")
            if not isinstance(subs, list) or not subs:
                problems.append(SetProblem(where, "'all' needs a list of rules"))
                return Rule("all")
            return Rule("all", rules=tuple(rule(sub, where) for sub in subs))
        problems.append(SetProblem(where, f"rule kind {kind!r} is not compare, count_at_least, yes or all"))
        return Rule("yes")

    indicators = []
    for n, raw in enumerate(body.get("indicator") or [], start=1):
        icode = raw.get("code") if isinstance(raw.get("code"), str) else f"#{n}"
        where = f"indicator {icode}"
        weight = raw.get("weight")
        if not isinstance(weight, int) or isinstance(weight, bool) or weight < 0:
            problems.append(SetProblem(where, "'weight' must be a whole number ≥ 0"))
            weight = 0
        gate = raw.get("gate", False)
        if not isinstance(gate, bool):
            problems.append(SetProblem(where, "'gate' must be true or false"))
        indicators.append(
            Indicator(
                code=icode,
                zh=text(raw, "zh", where),
                en=text(raw, "en", where),
                weight=weight,
                gate=bool(gate),
                rule=rule(raw.get("rule"), where),
                basis=text(raw, "basis", where),
            )
        )
    if not indicators:
        problems.append(SetProblem("set", "no indicators"))
    if len({i.code for i in indicators}) != len(indicators):
        problems.append(SetProblem("indicators", "indicator codes repeat"))
    total = sum(i.weight for i in indicators)
    if isinstance(pass_mark, int) and pass_mark > total:
        problems.append(SetProblem("set", f"the pass mark {pass_mark} is above the {total} points there are"))
    if problems:
        return None, problems
    return (
        IndicatorSet(
            code=code,
            name_zh=text(body, "name_zh", "set"),
            name_en=text(body, "name_en", "set"),
            status=status,
            pass_mark=int(pass_mark),
            pass_mark_basis=text(body, "pass_mark_basis", "set"),
            source=text(body, "source", "set"),
            groups=tuple(groups),
            fields=tuple(fields),
            indicators=tuple(indicators),
        ),
        problems,
    )


# ---- the form's values ---------------------------------------------------------------------------

FormValue = int | str | bool | list[str]
RawForm = Mapping[str, str | Sequence[str]]


@dataclass(frozen=True)
class FieldProblem:
    """A value the form cannot take: the field's key, why (in English, for the API and the log) and
    a code the pages translate (``missing``, ``money``, ``count``, ``rate``, ``rate_range``, ``yes_no``,
    ``option``, ``too_large``)."""

    field: str
    reason: str
    code: str = "invalid"

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}"


class ValueProblem(ValueError):
    """Why a value was refused, with the code the pages translate."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code


_MONEY = re.compile(r"^\d+(\.\d{1,2})?\Z")
_RATE = re.compile(r"^\d{1,3}(\.\d{1,4})?\Z")
_YES = {"yes", "true", "1", "on", "是"}
_NO = {"no", "false", "0", "off", "否"}


def _one(raw: str | Sequence[str] | None) -> str:
    if raw is None:
        return ""
    if isinstance(raw, str):
        return raw.strip()
    return str(raw[-1]).strip() if raw else ""


def parse_value(form_field: FormField, raw: str | Sequence[str] | None) -> FormValue:
    """The value of one field from what a person typed; raises ``ValueError`` with the reason."""
    if form_field.kind is FieldKind.CHOICES:
        given = [raw] if isinstance(raw, str) else list(raw or [])
        chosen = sorted({str(v).strip() for v in given if str(v).strip()})
        known = {o.key for o in form_field.options}
        unknown = [v for v in chosen if v not in known]
        if unknown:
            raise ValueProblem("option", f"not an option: {', '.join(unknown)}")
        return chosen
    text = _one(raw)
    if not text:
        raise ValueProblem("missing", "missing")
    if form_field.kind is FieldKind.YES_NO:
        if text.lower() in _YES:
            return True
        if text.lower() in _NO:
            return False
        raise ValueProblem("yes_no", "answer yes or no")
    cleaned = text.replace(",", "").replace("，", "").replace(" ", "")
    if form_field.kind is FieldKind.MONEY:
        if not _MONEY.match(cleaned):
            raise ValueProblem("money", "an amount in yuan with at most 2 decimals, e.g. 1234567.89")
        yuan, _, fen = cleaned.partition(".")
        value = int(yuan) * 100 + int((fen + "00")[:2])
        if value > MAX_MONEY_FEN:
            raise ValueProblem("too_large", "too large")
        return value
    if form_field.kind is FieldKind.COUNT:
        if not cleaned.isdigit():
            raise ValueProblem("count", "a whole number, e.g. 12")
        count = int(cleaned)
        if count > MAX_COUNT:
            raise ValueProblem("too_large", "too large")
        return count
    if not _RATE.match(cleaned):
        raise ValueProblem("rate", "a percentage with at most 4 decimals, e.g. 4.35")
    rate = Decimal(cleaned)
    if rate > 100:
        raise ValueProblem("rate_range", "a percentage between 0 and 100")
    return str(rate.normalize(DECIMAL)) if rate != 0 else "0"


def parse_form(
    indicator_set: IndicatorSet, raw: RawForm, *, complete: bool
) -> tuple[dict[str, FormValue], list[FieldProblem]]:
    """Every field's value and every problem. ``complete`` (to submit) makes an empty field a
    problem; a draft may leave fields empty. Unknown keys are ignored."""
    values: dict[str, FormValue] = {}
    problems: list[FieldProblem] = []
    for form_field in indicator_set.fields:
        given = raw.get(form_field.key)
        if form_field.kind is not FieldKind.CHOICES and not _one(given):
            if complete:
                problems.append(FieldProblem(form_field.key, "missing", "missing"))
            continue
        try:
            values[form_field.key] = parse_value(form_field, given)
        except ValueProblem as exc:
            problems.append(FieldProblem(form_field.key, str(exc), exc.code))
    return values, problems


def format_fen(fen: int) -> str:
    """Fen as yuan with two decimals and thousands separators: ``123456789`` → ``1,234,567.89``."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}{yuan:,}.{cents:02d}"


def display_value(form_field: FormField, value: FormValue | None, locale: str = "zh-CN") -> str:
    """A stored value as a person reads it (yuan, a count, a rate with %, 是/否, option names)."""
    if value is None or value == "":
        return "—"
    if form_field.kind is FieldKind.MONEY and isinstance(value, int):
        return format_fen(value)
    if form_field.kind is FieldKind.RATE:
        return f"{value}%"
    if form_field.kind is FieldKind.YES_NO:
        if locale == "en":
            return "yes" if value else "no"
        return "是" if value else "否"
    if form_field.kind is FieldKind.CHOICES and isinstance(value, list):
        names = {o.key: (o.en if locale == "en" else o.zh) for o in form_field.options}
        return "、".join(names.get(v, v) for v in value) if value else "—"
    return str(value)


def raw_of(indicator_set: IndicatorSet, values: Mapping[str, FormValue]) -> dict[str, str | list[str]]:
    """Stored values back in the form's shape, to fill the form again (money in yuan, yes/no)."""
    raw: dict[str, str | list[str]] = {}
    for form_field in indicator_set.fields:
        value = values.get(form_field.key)
        if value is None:
            continue
        if form_field.kind is FieldKind.MONEY and isinstance(value, int):
            raw[form_field.key] = f"{value // 100}.{value % 100:02d}"
        elif form_field.kind is FieldKind.YES_NO:
            raw[form_field.key] = "yes" if value else "no"
        elif isinstance(value, list):
            raw[form_field.key] = list(value)
        else:
            raw[form_field.key] = str(value)
    return raw


# ---- scoring ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measured:
    """A quantity's value (``None`` when undefined, e.g. a ratio over zero) and how to show it."""

    value: Decimal | None
    shown: str


def _quantity_value(q: Quantity, values: Mapping[str, FormValue], kinds: Mapping[str, FieldKind]) -> Measured:
    def number(name: str) -> Decimal | None:
        value = values.get(name)
        if value is None or isinstance(value, (bool, list)):
            return None
        return Decimal(value) if isinstance(value, int) else Decimal(str(value))

    if q.kind == "constant":
        assert q.constant is not None
        return Measured(q.constant, str(q.constant))
    if q.kind == "field":
        found = number(q.fields[0])
        if found is None:
            return Measured(None, "—")
        kind = kinds[q.fields[0]]
        if kind is FieldKind.MONEY:
            return Measured(found, format_fen(int(found)))
        if kind is FieldKind.RATE:
            return Measured(found, f"{found}%")
        return Measured(found, str(found))
    a, b = (number(name) for name in q.fields)
    if a is None or b is None:
        return Measured(None, "—")
    if b == 0:
        return Measured(None, "n/a (÷0)")
    if q.kind == "per":
        result = DECIMAL.divide(a, b)
        return Measured(
            result, str(result.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN, context=DECIMAL))
        )
    result = DECIMAL.divide(a, b) if q.kind == "ratio" else DECIMAL.divide(a - b, b)
    return Measured(result, percent(result))


def percent(fraction: Decimal) -> str:
    """A fraction as a percentage with two decimals: ``Decimal('0.76354')`` → ``76.35%``."""
    return f"{(fraction * 100).quantize(Decimal('0.01'), rounding=ROUND_HALF_EVEN, context=DECIMAL)}%"


def _compare(left: Decimal, op: str, right: Decimal) -> bool:
    return {
        ">=": left >= right,
        ">": left > right,
        "<=": left <= right,
        "<": left < right,
        "=": left == right,
    }[op]


@dataclass(frozen=True)
class Check:
    """One test inside an indicator: what is measured (a field key, or ``ratio(a, b)`` …), the
    relation in figures (``70.00% ≥ 60.00%``) and whether it held."""

    subject: str
    relation: str
    met: bool

    @property
    def text(self) -> str:
        return f"{self.subject} {self.relation}"


def _evaluate(
    rule: Rule, values: Mapping[str, FormValue], kinds: Mapping[str, FieldKind]
) -> tuple[bool, list[Check]]:
    if rule.kind == "compare":
        assert rule.left is not None and rule.right is not None
        left = _quantity_value(rule.left, values, kinds)
        right = _quantity_value(rule.right, values, kinds)
        if (
            rule.right.kind == "constant"
            and rule.left.kind in ("ratio", "growth")
            and right.value is not None
        ):
            right = Measured(right.value, percent(right.value))
        met = (
            left.value is not None and right.value is not None and _compare(left.value, rule.op, right.value)
        )
        symbol = {">=": "≥", "<=": "≤"}.get(rule.op, rule.op)
        return met, [Check(rule.left.describe(), f"{left.shown} {symbol} {right.shown}", met)]
    if rule.kind == "yes":
        met = values.get(rule.field) is True
        return met, [Check(rule.field, "= yes" if met else "≠ yes", met)]
    if rule.kind == "count_at_least":
        chosen = values.get(rule.field)
        count = len(chosen) if isinstance(chosen, list) else 0
        met = count >= rule.minimum
        return met, [Check(rule.field, f"{count} ≥ {rule.minimum}", met)]
    checks: list[Check] = []
    met = True
    for sub in rule.rules:
        sub_met, sub_checks = _evaluate(sub, values, kinds)
        met = met and sub_met
        checks.extend(sub_checks)
    return met, checks


@dataclass(frozen=True)
class IndicatorResult:
    code: str
    weight: int
    gate: bool
    met: bool
    points: int
    checks: tuple[Check, ...]
    disputed: bool = False


@dataclass(frozen=True)
class Score:
    """A score with its provenance: the set (code and content hash), the inputs' hash, each check."""

    indicator_set: str
    set_hash: str
    inputs_hash: str
    results: tuple[IndicatorResult, ...]
    points: int
    max_points: int
    pass_mark: int
    gates_met: bool
    disputed: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return self.gates_met and self.points >= self.pass_mark

    def result(self, code: str) -> IndicatorResult | None:
        return next((r for r in self.results if r.code == code), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "indicator_set": self.indicator_set,
            "set_hash": self.set_hash,
            "inputs_hash": self.inputs_hash,
            "points": self.points,
            "max_points": self.max_points,
            "pass_mark": self.pass_mark,
            "gates_met": self.gates_met,
            "passed": self.passed,
            "disputed": list(self.disputed),
            "results": [
                {
                    "code": r.code,
                    "weight": r.weight,
                    "gate": r.gate,
                    "met": r.met,
                    "points": r.points,
                    "disputed": r.disputed,
                    "checks": [
                        {"subject": c.subject, "relation": c.relation, "met": c.met} for c in r.checks
                    ],
                }
                for r in self.results
            ],
        }

    @classmethod
    def from_dict(cls, body: Mapping[str, Any]) -> Score:
        return cls(
            indicator_set=body["indicator_set"],
            set_hash=body["set_hash"],
            inputs_hash=body["inputs_hash"],
            points=int(body["points"]),
            max_points=int(body["max_points"]),
            pass_mark=int(body["pass_mark"]),
            gates_met=bool(body["gates_met"]),
            disputed=tuple(body.get("disputed", ())),
            results=tuple(
                IndicatorResult(
                    code=r["code"],
                    weight=int(r["weight"]),
                    gate=bool(r["gate"]),
                    met=bool(r["met"]),
                    points=int(r["points"]),
                    disputed=bool(r.get("disputed", False)),
                    checks=tuple(Check(c["subject"], c["relation"], bool(c["met"])) for c in r["checks"]),
                )
                for r in body["results"]
            ),
        )


def inputs_hash(values: Mapping[str, FormValue]) -> str:
    return canonical_hash(dict(values))


def score(
    indicator_set: IndicatorSet, values: Mapping[str, FormValue], *, disputed: Iterable[str] = ()
) -> Score:
    """Score submitted figures by the set: an indicator met earns its whole weight, otherwise none
    (no partial credit, so every point is explained by one check). A gate (门槛) not met fails the
    application whatever the points. ``disputed`` indicators — an authority found the figures or
    claims behind them not borne out by the materials — earn nothing on that authority's sheet."""
    kinds = {f.key: f.kind for f in indicator_set.fields}
    disputed_codes = tuple(sorted(set(disputed)))
    unknown = [code for code in disputed_codes if indicator_set.indicator(code) is None]
    if unknown:
        raise ValueError(f"no such indicator: {', '.join(unknown)}")
    results = []
    for indicator in indicator_set.indicators:
        met, checks = _evaluate(indicator.rule, values, kinds)
        is_disputed = indicator.code in disputed_codes
        if is_disputed:
            met = False
        results.append(
            IndicatorResult(
                code=indicator.code,
                weight=indicator.weight,
                gate=indicator.gate,
                met=met,
                points=indicator.weight if met else 0,
                checks=tuple(checks),
                disputed=is_disputed,
            )
        )
    return Score(
        indicator_set=indicator_set.code,
        set_hash=indicator_set.content_hash(),
        inputs_hash=inputs_hash(values),
        results=tuple(results),
        points=sum(r.points for r in results),
        max_points=indicator_set.max_points,
        pass_mark=indicator_set.pass_mark,
        gates_met=all(r.met for r in results if r.gate),
        disputed=disputed_codes,
    )


# ==== workflow ===================================================================================


class TransitionRefused(Exception):
    """An action the current state does not allow; ``status`` and ``action`` say which."""

    def __init__(self, message: str, *, status: str, action: str) -> None:
        super().__init__(message)
        self.status = status
        self.action = action


# ---- rounds ---------------------------------------------------------------------------------------


class RoundStatus(StrEnum):
    OPEN = "open"  # 申报中
    CLOSED = "closed"  # 申报截止


class RoundAction(StrEnum):
    CLOSE = "close"


ROUND_MOVES: dict[RoundStatus, dict[RoundAction, RoundStatus]] = {
    RoundStatus.OPEN: {RoundAction.CLOSE: RoundStatus.CLOSED},
    RoundStatus.CLOSED: {},
}


def round_step(status: RoundStatus, action: RoundAction) -> RoundStatus:
    moves = ROUND_MOVES[status]
    if action not in moves:
        raise TransitionRefused(f"a {status.value} round cannot {action.value}", status=status, action=action)
    return moves[action]


# ---- applications (jointly reviewed) ----------------------------------------------------------------


class ApplicationStatus(StrEnum):
    DRAFT = "draft"  # 草稿
    SUBMITTED = "submitted"  # 审核中
    MORE_REQUESTED = "more_requested"  # 待补充材料
    APPROVED = "approved"  # 已认定 (all required authorities approved)
    REJECTED = "rejected"  # 未通过
    WITHDRAWN = "withdrawn"  # 已撤回
    LAPSED = "lapsed"  # 已失效 (a deadline passed)


class ApplicationAction(StrEnum):
    SAVE = "save"  # the bank edits the one form (a draft, or in answer to a request for more)
    SUBMIT = "submit"  # the bank submits or resubmits; every authority reviews the new submission
    WITHDRAW = "withdraw"  # the bank withdraws
    APPROVE = "approve"  # one authority approves
    REJECT = "reject"  # one authority rejects: recognition needs all, so one rejection decides
    REQUEST_MORE = "request_more"  # one authority asks for more, with a deadline
    LAPSE = "lapse"  # the clock: a draft when the round closes, or the deadline for more passes


class ReviewDecision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    REQUEST_MORE = "request_more"


APPLICATION_TERMINAL = frozenset(
    {
        ApplicationStatus.APPROVED,
        ApplicationStatus.REJECTED,
        ApplicationStatus.WITHDRAWN,
        ApplicationStatus.LAPSED,
    }
)
BANK_ACTIONS = frozenset({ApplicationAction.SAVE, ApplicationAction.SUBMIT, ApplicationAction.WITHDRAW})
AUTHORITY_ACTIONS = frozenset(
    {ApplicationAction.APPROVE, ApplicationAction.REJECT, ApplicationAction.REQUEST_MORE}
)


@dataclass(frozen=True)
class ApplicationState:
    """An application's status and, for the submission under review, each authority's latest decision.

    ``required`` are the authorities whose approval recognition needs (the round's three).
    """

    status: ApplicationStatus
    required: frozenset[str]
    decisions: Mapping[str, ReviewDecision] = field(default_factory=dict)

    def approvals(self) -> frozenset[str]:
        return frozenset(a for a, d in self.decisions.items() if d is ReviewDecision.APPROVE)

    def pending(self) -> frozenset[str]:
        """The authorities that have not approved the current submission yet."""
        return self.required - self.approvals()

    def apply(self, action: ApplicationAction, authority: str | None = None) -> ApplicationState:
        """The state after ``action`` (by ``authority`` for a review); raises ``TransitionRefused``."""
        status = self.status

        def refuse(why: str) -> TransitionRefused:
            return TransitionRefused(why, status=status.value, action=action.value)

        if action in AUTHORITY_ACTIONS:
            if authority is None or authority not in self.required:
                raise refuse(f"{authority!r} is not one of the reviewing authorities")
        elif authority is not None:
            raise refuse(f"{action.value} is the bank's or the clock's, not an authority's")
        if status in APPLICATION_TERMINAL:
            raise refuse(f"the application is {status.value}: nothing more can happen to it")
        if action is ApplicationAction.SAVE:
            if status not in (ApplicationStatus.DRAFT, ApplicationStatus.MORE_REQUESTED):
                raise refuse("the form can be changed only as a draft or when more is asked for")
            return self
        if action is ApplicationAction.SUBMIT:
            if status not in (ApplicationStatus.DRAFT, ApplicationStatus.MORE_REQUESTED):
                raise refuse("only a draft, or an application asked for more, can be submitted")
            return replace(self, status=ApplicationStatus.SUBMITTED, decisions={})
        if action is ApplicationAction.WITHDRAW:
            return replace(self, status=ApplicationStatus.WITHDRAWN)
        if action is ApplicationAction.LAPSE:
            if status not in (ApplicationStatus.DRAFT, ApplicationStatus.MORE_REQUESTED):
                raise refuse("only a draft or an application waiting for more can lapse")
            return replace(self, status=ApplicationStatus.LAPSED)
        assert authority is not None
        decisions = {**self.decisions, authority: ReviewDecision(action.value)}
        if action is ApplicationAction.REQUEST_MORE:
            if status not in (ApplicationStatus.SUBMITTED, ApplicationStatus.MORE_REQUESTED):
                raise refuse("more can be asked for only while the application is under review")
            return replace(self, status=ApplicationStatus.MORE_REQUESTED, decisions=decisions)
        if status is not ApplicationStatus.SUBMITTED:
            raise refuse("the application is waiting for the bank; decide after it resubmits")
        if action is ApplicationAction.REJECT:
            return replace(self, status=ApplicationStatus.REJECTED, decisions=decisions)
        approved = self.required <= {a for a, d in decisions.items() if d is ReviewDecision.APPROVE}
        return replace(
            self,
            status=ApplicationStatus.APPROVED if approved else ApplicationStatus.SUBMITTED,
            decisions=decisions,
        )


# ---- a recognised green sub-branch ------------------------------------------------------------------


class RecognitionStatus(StrEnum):
    RECOGNISED = "recognised"  # 已认定，资质存续
    OVERDUE = "overdue"  # 年报逾期 (still recognised until revoked)
    REVOKED = "revoked"  # 已取消资质，申诉期内
    APPEALED = "appealed"  # 申诉复核中
    WITHDRAWN = "withdrawn"  # 已摘牌 (final)


class RecognitionAction(StrEnum):
    SUBMIT_REPORT = "submit_report"  # the bank; allowed until the plaque is withdrawn
    PASS_REPORT = "pass_report"  # noqa: S105 (the lead authority; not a password)
    FAIL_REPORT = "fail_report"  # the lead authority: fail revokes
    MISS_REPORT = "miss_report"  # the clock: no report by 31 March
    REVOKE = "revoke"  # the lead authority revokes an overdue branch
    APPEAL = "appeal"  # the bank, within the appeal period
    CLOSE_APPEAL_WINDOW = "close_appeal_window"  # the clock: no appeal in time, the plaque is withdrawn
    KEEP = "keep"  # one authority's finding on appeal: keep the status
    CONFIRM = "confirm"  # one authority's finding on appeal: confirm the revocation
    # When every authority has found: kept only if all found "keep", else the plaque is withdrawn.


class AppealFinding(StrEnum):
    KEEP = "keep"
    CONFIRM = "confirm"


ACTIVE_RECOGNITION = frozenset({RecognitionStatus.RECOGNISED, RecognitionStatus.OVERDUE})


@dataclass(frozen=True)
class RecognitionState:
    """A green sub-branch's status and, during an appeal, each authority's finding."""

    status: RecognitionStatus
    required: frozenset[str]
    findings: Mapping[str, AppealFinding] = field(default_factory=dict)

    @property
    def on_public_list(self) -> bool:
        return self.status in ACTIVE_RECOGNITION

    def apply(self, action: RecognitionAction, authority: str | None = None) -> RecognitionState:
        status = self.status
        R = RecognitionStatus

        def refuse(why: str) -> TransitionRefused:
            return TransitionRefused(why, status=status.value, action=action.value)

        if action in (RecognitionAction.KEEP, RecognitionAction.CONFIRM):
            if authority is None or authority not in self.required:
                raise refuse(f"{authority!r} is not one of the authorities that decide appeals")
        elif authority is not None and action not in (
            RecognitionAction.PASS_REPORT,
            RecognitionAction.FAIL_REPORT,
            RecognitionAction.REVOKE,
        ):
            raise refuse(f"{action.value} is the bank's or the clock's, not an authority's")
        if status is R.WITHDRAWN:
            raise refuse("the plaque has been withdrawn: the branch is no longer a green sub-branch")
        if action is RecognitionAction.SUBMIT_REPORT:
            return self
        if action in (RecognitionAction.PASS_REPORT, RecognitionAction.FAIL_REPORT):
            if status not in ACTIVE_RECOGNITION:
                raise refuse(
                    "a report is decided while the branch is recognised or overdue, not during a revocation"
                )
            passed = action is RecognitionAction.PASS_REPORT
            return replace(self, status=R.RECOGNISED if passed else R.REVOKED)
        if action is RecognitionAction.MISS_REPORT:
            if status is not R.RECOGNISED:
                raise refuse("only a recognised branch becomes overdue")
            return replace(self, status=R.OVERDUE)
        if action is RecognitionAction.REVOKE:
            if status is not R.OVERDUE:
                raise refuse("only an overdue branch is revoked this way; otherwise fail its annual report")
            return replace(self, status=R.REVOKED)
        if action is RecognitionAction.APPEAL:
            if status is not R.REVOKED:
                raise refuse("only a revocation can be appealed")
            return replace(self, status=R.APPEALED, findings={})
        if action is RecognitionAction.CLOSE_APPEAL_WINDOW:
            if status is not R.REVOKED:
                raise refuse("the appeal period matters only to a revoked branch")
            return replace(self, status=R.WITHDRAWN)
        if status is not R.APPEALED:
            raise refuse("findings are recorded on an appeal")
        assert authority is not None
        findings = {**self.findings, authority: AppealFinding(action.value)}
        if not self.required <= findings.keys():
            return replace(self, findings=findings)
        kept = all(findings[a] is AppealFinding.KEEP for a in self.required)
        return replace(self, status=R.RECOGNISED if kept else R.WITHDRAWN, findings=findings)


# ---- annual reports and appeals ------------------------------------------------------------------------


class ReportStatus(StrEnum):
    SUBMITTED = "submitted"
    PASSED = "passed"
    FAILED = "failed"


class AppealStatus(StrEnum):
    OPEN = "open"
    KEPT = "kept"  # 保留资质
    CONFIRMED = "confirmed"  # 取消资质并摘牌


REPORT_MOVES: dict[ReportStatus, dict[str, ReportStatus]] = {
    ReportStatus.SUBMITTED: {"pass": ReportStatus.PASSED, "fail": ReportStatus.FAILED},
    ReportStatus.PASSED: {},
    ReportStatus.FAILED: {},
}


def report_step(status: ReportStatus, decision: str) -> ReportStatus:
    moves = REPORT_MOVES[status]
    if decision not in moves:
        raise TransitionRefused(
            f"a {status.value} report cannot be decided again ({decision})", status=status, action=decision
        )
    return moves[decision]


# ==== the calendar ===============================================================================


def local_date(moment: datetime) -> date:
    return moment.astimezone(LOCAL_TZ).date()


def end_of_local_day(day: date) -> datetime:
    """The first instant after ``day`` in local time: a deadline on ``day`` is met before it."""
    return datetime.combine(day + timedelta(days=1), time(0), LOCAL_TZ)


def deadline_day(deadline: datetime) -> date:
    """The last local day a deadline (the first instant after that day) still allows."""
    return local_date(deadline - timedelta(microseconds=1))


def report_deadline(year: int) -> datetime:
    """The annual report on operations in ``year`` is due by 31 March of the next year."""
    return end_of_local_day(date(year + 1, 3, 31))


def first_report_year(recognised_at: datetime) -> int:
    """The first report covers the year of recognition and is due by 31 March of the next (次年起)."""
    return local_date(recognised_at).year


def missing_reports(recognised_at: datetime, reported: Iterable[int], now: datetime) -> list[int]:
    """Operations years whose report deadline has passed without a report submitted."""
    have = set(reported)
    missing = []
    year = first_report_year(recognised_at)
    while report_deadline(year) <= now:
        if year not in have:
            missing.append(year)
        year += 1
    return missing


def next_report_year(recognised_at: datetime, now: datetime) -> int:
    """The operations year whose report is due at the next 31 March to come."""
    today = local_date(now)
    due_this_spring = today.year - 1 if today < date(today.year, 4, 1) else today.year
    return max(due_this_spring, first_report_year(recognised_at))


def reminder_stage(deadline: datetime, now: datetime, days_before: Iterable[int]) -> int | None:
    """The reminder due now: the fewest days-before whose moment has come, while the deadline has
    not passed. A tick that missed earlier stages sends only the latest one."""
    if now >= deadline:
        return None
    reached = [d for d in days_before if now >= deadline - timedelta(days=d)]
    return min(reached) if reached else None


def appeal_deadline(revoked_at: datetime, days: int) -> datetime:
    return end_of_local_day(local_date(revoked_at) + timedelta(days=days))


# ==== recognition numbers ========================================================================

NUMBER_PATTERN = re.compile(r"^([A-Z][A-Z0-9]{1,9})-(\d{4})-(\d{3,})\Z")


def format_number(prefix: str, year: int, serial: int) -> str:
    """``WHGB-2026-001``: prefix, year of recognition, serial within the year (three digits or more)."""
    if not re.match(r"^[A-Z][A-Z0-9]{1,9}$", prefix):
        raise ValueError(f"a number prefix is 2-10 capital letters or digits, not {prefix!r}")
    if serial < 1:
        raise ValueError("serials start at 1")
    return f"{prefix}-{year:04d}-{serial:03d}"


def parse_number(number: str) -> tuple[str, int, int] | None:
    match = NUMBER_PATTERN.match(number)
    if not match:
        return None
    return match.group(1), int(match.group(2)), int(match.group(3))


# ==== policy =====================================================================================


@dataclass(frozen=True)
class Policy:
    """The deployment's choices: which authorities review, which leads the annual review, the
    appeal period, when reminders go out, and the recognition numbers' prefix."""

    authorities: tuple[str, ...]
    lead_authority: str
    appeal_days: int = 30
    reminder_days: tuple[int, ...] = (30, 14, 3)
    number_prefix: str = "WHGB"
    more_info_days: int = 15

    def __post_init__(self) -> None:
        if len(set(self.authorities)) != len(self.authorities) or not self.authorities:
            raise ValueError("name each reviewing authority once")
        if self.lead_authority not in self.authorities:
            raise ValueError(
                f"the lead authority {self.lead_authority!r} is not one of the reviewing authorities"
            )
        if self.appeal_days < 1 or self.more_info_days < 1:
            raise ValueError("the appeal and more-information periods are at least a day")
        if any(d < 0 for d in self.reminder_days):
            raise ValueError("reminders go out some days before the deadline (≥ 0)")
        format_number(self.number_prefix, 2000, 1)


# ==== who sees and does what =====================================================================


@dataclass(frozen=True)
class Viewer:
    """Whom the platform is serving, as far as recognition goes.

    A bank's officer acts for all of the bank's branches (``bank``); a branch's own officer only
    for that branch (``branch``, with its bank). An authority reviewer reads every application
    once submitted and reviews as its organisation (``authority``). Platform administrators and
    operators read everything and act on nothing (``reader``). Anyone else sees the public list.
    """

    org_code: str | None = None
    bank: str | None = None
    branch: str | None = None
    authority: str | None = None
    reader: bool = False

    @property
    def is_bank(self) -> bool:
        return self.bank is not None

    def acts_for(self, bank: str, branch: str) -> bool:
        """May act for this branch of this bank (apply, report, appeal)."""
        if self.bank is None or self.bank != bank:
            return False
        return self.branch is None or self.branch == branch

    def sees(self, bank: str, branch: str, *, draft: bool = False) -> bool:
        """May read an application, a recognition or their documents. Drafts stay the bank's own."""
        if self.acts_for(bank, branch):
            return True
        if draft:
            return False
        return self.authority is not None or self.reader
