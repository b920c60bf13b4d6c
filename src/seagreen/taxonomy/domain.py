"""Pure rules of the blue industry catalogue (蓝色产业可持续投融资支持目录, "the catalogue") and of the
identification engine that tells a bank whether a project, enterprise or loan is blue.

Three things live here, all without I/O:

* the catalogue as data: 7 level-1 / 24 level-2 / 85 level-3 items, each level-3 item with its tier
  (``blue``: a marine slice of a national green-catalogue item; ``light-blue`` 浅蓝: a Weihai
  extension with no national green item), national mappings, GB/T 4754 industry codes and
  keywords; :func:`parse_catalogue` reads one from rows and returns every structural problem;
* the identification engine (:class:`Engine`): BM25 over jieba tokens of each level-3 item's
  name, keywords and description, plus a bonus for each curated keyword found in the text and
  for an industry code that matches the item's codes, then exclusion rules for activities that
  sound marine but are not sustainable (reclamation, sea-sand mining, fleet expansion, fossil
  fuel terminals …). Every figure of a score is kept as evidence, so a reviewer sees why;
* the loan-book summary: blue and light-blue balances by level-1 item, in integer fen.

A light-blue result is never a national green loan: :attr:`Candidate.national_green` is false for
it, whatever the mappings column of an imported file says (the import refuses such a file anyway).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

ENGINE_VERSION = "bm25-keywords-exclusions-1"

# --------------------------------------------------------------------------------------------
# The catalogue
# --------------------------------------------------------------------------------------------


class Tier(StrEnum):
    BLUE = "blue"
    LIGHT_BLUE = "light-blue"


class Decision(StrEnum):
    BLUE = "blue"
    LIGHT_BLUE = "light-blue"
    NOT_BLUE = "not-blue"


class VersionStatus(StrEnum):
    """``reconstruction``: SeaGreen's reconstruction, not the official text; ``official``: the text
    issued by the authorities."""

    RECONSTRUCTION = "reconstruction"
    OFFICIAL = "official"


NATIONAL_EDITIONS = ("2019", "2021", "2024", "2025")
"""National green catalogues an item may map to: 绿色产业指导目录(2019), 绿色债券支持项目目录(2021),
绿色低碳转型产业指导目录(2024), 绿色金融支持项目目录(2025)."""

EXPECTED_LEVEL1 = 7
EXPECTED_LEVEL2 = 24
EXPECTED_LEVEL3 = 85
EXPECTED_BLUE = 72
EXPECTED_LIGHT_BLUE = 13

CATALOGUE_COLUMNS = (
    "code",
    "level1_code",
    "level1_zh",
    "level1_en",
    "level2_code",
    "level2_zh",
    "level2_en",
    "name_zh",
    "name_en",
    "tier",
    "description_zh",
    *(f"national_{edition}" for edition in NATIONAL_EDITIONS),
    "gbt4754_codes",
    "keywords_zh",
    "keywords_extra_zh",
    "qualifiers_zh",
    "source_or_basis",
)
OPTIONAL_COLUMNS = frozenset(
    {"keywords_extra_zh", "qualifiers_zh", "national_2021", "national_2024", "national_2025"}
)

LEVEL1_CODE = re.compile(r"^[1-9][0-9]?$")
LEVEL2_CODE = re.compile(r"^[1-9][0-9]?\.[1-9][0-9]?$")
LEVEL3_CODE = re.compile(r"^[1-9][0-9]?\.[1-9][0-9]?\.[1-9][0-9]?$")
INDUSTRY_CODE = re.compile(r"^[A-T]?[0-9]{2,4}$")
VERSION_CODE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")
RECONSTRUCTION_MARK = "RECONSTRUCTION"


@dataclass(frozen=True)
class RowError:
    """One problem in one row of a file: row number, field (column) and reason."""

    row: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.field}: {self.reason}"


@dataclass(frozen=True)
class NationalMapping:
    """The national green-catalogue item a blue item maps to, as written in the source
    (``"4.2.3 自然保护区建设和运营"``, possibly with a note such as ``(number to verify)``)."""

    edition: str
    text: str

    @property
    def code(self) -> str:
        head = self.text.split(" ", 1)[0]
        return head if re.match(r"^[0-9]+(\.[0-9x]+)*$", head) else ""


@dataclass(frozen=True)
class Group:
    """A level-1 or level-2 item (大类/中类)."""

    code: str
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class Item:
    """A level-3 item (小类): what a project or loan is identified as."""

    code: str
    level1: Group
    level2: Group
    name_zh: str
    name_en: str
    tier: Tier
    description_zh: str
    national: tuple[NationalMapping, ...]
    industry_codes: tuple[str, ...]
    keywords: tuple[str, ...]
    keywords_extra: tuple[str, ...]
    qualifiers: tuple[str, ...]
    source: str

    @property
    def all_keywords(self) -> tuple[str, ...]:
        return self.keywords + tuple(k for k in self.keywords_extra if k not in self.keywords)

    @property
    def national_green(self) -> bool:
        """Reportable as a national green loan: blue items only, never light-blue ones."""
        return self.tier is Tier.BLUE and bool(self.national)

    def mapping(self, edition: str) -> NationalMapping | None:
        return next((m for m in self.national if m.edition == edition), None)

    def as_row(self) -> dict[str, str]:
        row = {
            "code": self.code,
            "level1_code": self.level1.code,
            "level1_zh": self.level1.name_zh,
            "level1_en": self.level1.name_en,
            "level2_code": self.level2.code,
            "level2_zh": self.level2.name_zh,
            "level2_en": self.level2.name_en,
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "tier": self.tier.value,
            "description_zh": self.description_zh,
        }
        for edition in NATIONAL_EDITIONS:
            found = self.mapping(edition)
            row[f"national_{edition}"] = found.text if found else ""
        row.update(
            {
                "gbt4754_codes": ";".join(self.industry_codes),
                "keywords_zh": ";".join(self.keywords),
                "keywords_extra_zh": ";".join(self.keywords_extra),
                "qualifiers_zh": ";".join(self.qualifiers),
                "source_or_basis": self.source,
            }
        )
        return row


def code_key(code: str) -> tuple[int, ...]:
    """Sort key of a dotted item code (``"1.10.2"`` after ``"1.9.3"``)."""
    return tuple(int(part) for part in code.split("."))


@dataclass(frozen=True)
class Catalogue:
    """One version of the catalogue: its code, status and level-3 items in code order."""

    code: str
    name: str
    status: VersionStatus
    items: tuple[Item, ...]

    @property
    def is_reconstruction(self) -> bool:
        return self.status is VersionStatus.RECONSTRUCTION

    @property
    def level1(self) -> tuple[Group, ...]:
        return tuple(dict.fromkeys(item.level1 for item in self.items))

    @property
    def level2(self) -> tuple[Group, ...]:
        return tuple(dict.fromkeys(item.level2 for item in self.items))

    def item(self, code: str) -> Item | None:
        return next((item for item in self.items if item.code == code), None)

    def content_hash(self) -> str:
        """SHA-256 of the canonical content (version header and every item), to tell versions apart."""
        body = {
            "code": self.code,
            "name": self.name,
            "status": self.status.value,
            "items": [item.as_row() for item in self.items],
        }
        text = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


def split_list(value: str | None) -> tuple[str, ...]:
    """``"a; b；c"`` → ``("a", "b", "c")``: semicolons (ASCII or full-width) separate list entries."""
    if not value:
        return ()
    parts = re.split(r"[;；]", value)
    return tuple(dict.fromkeys(part.strip() for part in parts if part.strip()))


def _industry_code(raw: str) -> str:
    """``"M74"`` (a division whose class is unknown) → ``"74"``; a code keeps its digits."""
    return raw[1:] if raw[:1].isalpha() else raw


def parse_catalogue(
    rows: Iterable[tuple[int, Mapping[str, str | None]]],
    *,
    code: str,
    name: str,
    status: VersionStatus,
    expect_shape: bool = True,
) -> tuple[Catalogue | None, list[RowError]]:
    """Read a catalogue from ``(row number, row)`` pairs; return it, or ``None`` and every problem.

    Checks each row (codes, tier, a national mapping for every blue item and none for light-blue
    ones, industry codes, keywords) and the whole (unique codes, level-1 and level-2 names the
    same on every row, and the 7 / 24 / 85 structure with 72 blue and 13 light-blue items).
    """
    errors: list[RowError] = []
    if not VERSION_CODE.match(code):
        errors.append(RowError(0, "version", f"version code {code!r} must be 2-40 of a-z 0-9 . _ -"))
    if not name.strip():
        errors.append(RowError(0, "version", "a version needs a name"))
    items: list[Item] = []
    seen: dict[str, int] = {}
    groups: dict[str, tuple[int, Group]] = {}
    last_row = 0
    for row_number, row in rows:
        last_row = row_number

        def value(column: str, row: Mapping[str, str | None] = row) -> str:
            return (row.get(column) or "").strip()

        row_errors: list[RowError] = []

        def bad(
            column: str, reason: str, row_number: int = row_number, sink: list[RowError] = row_errors
        ) -> None:
            sink.append(RowError(row_number, column, reason))

        for column in CATALOGUE_COLUMNS:
            if column in OPTIONAL_COLUMNS or column == "national_2019":
                continue
            if not value(column):
                bad(column, "empty")
        item_code, l1_code, l2_code = value("code"), value("level1_code"), value("level2_code")
        if item_code and not LEVEL3_CODE.match(item_code):
            bad("code", f"{item_code!r} is not a level-3 code such as 1.2.3")
        if l1_code and not LEVEL1_CODE.match(l1_code):
            bad("level1_code", f"{l1_code!r} is not a level-1 code such as 1")
        if l2_code and not LEVEL2_CODE.match(l2_code):
            bad("level2_code", f"{l2_code!r} is not a level-2 code such as 1.2")
        if l2_code and l1_code and not l2_code.startswith(l1_code + "."):
            bad("level2_code", f"{l2_code} is not under level-1 item {l1_code}")
        if item_code and l2_code and not item_code.startswith(l2_code + "."):
            bad("code", f"{item_code} is not under level-2 item {l2_code}")
        if item_code in seen:
            bad("code", f"{item_code} repeats row {seen[item_code]}")
        tier_text = value("tier")
        tier: Tier | None = None
        try:
            tier = Tier(tier_text) if tier_text else None
        except ValueError:
            bad("tier", f"{tier_text!r} is neither 'blue' nor 'light-blue'")
        national = tuple(
            NationalMapping(edition, value(f"national_{edition}"))
            for edition in NATIONAL_EDITIONS
            if value(f"national_{edition}")
        )
        if tier is Tier.BLUE and not national:
            bad("national_2019", "a blue item needs a mapping to a national green catalogue")
        if tier is Tier.LIGHT_BLUE and national:
            bad(
                f"national_{national[0].edition}",
                "a light-blue item has no national green item (it would be reported as green)",
            )
        industry = split_list(value("gbt4754_codes"))
        for raw in industry:
            if not INDUSTRY_CODE.match(raw):
                bad("gbt4754_codes", f"{raw!r} is not a GB/T 4754 code (2-4 digits, optional section letter)")
        keywords = split_list(value("keywords_zh"))
        for column, group_code in (("level1", l1_code), ("level2", l2_code)):
            if not group_code:
                continue
            group = Group(group_code, value(f"{column}_zh"), value(f"{column}_en"))
            first = groups.get(f"{column}:{group_code}")
            if first is None:
                groups[f"{column}:{group_code}"] = (row_number, group)
            elif first[1] != group:
                bad(f"{column}_zh", f"{column} {group_code} is named differently on row {first[0]}")
        if item_code:
            seen.setdefault(item_code, row_number)
        errors.extend(row_errors)
        if row_errors or tier is None:
            continue
        items.append(
            Item(
                code=item_code,
                level1=Group(l1_code, value("level1_zh"), value("level1_en")),
                level2=Group(l2_code, value("level2_zh"), value("level2_en")),
                name_zh=value("name_zh"),
                name_en=value("name_en"),
                tier=tier,
                description_zh=value("description_zh"),
                national=national,
                industry_codes=tuple(_industry_code(raw) for raw in industry),
                keywords=keywords,
                keywords_extra=split_list(value("keywords_extra_zh")),
                qualifiers=split_list(value("qualifiers_zh")),
                source=value("source_or_basis"),
            )
        )
    names: dict[str, str] = {}
    for key, (row_number, group) in groups.items():
        kind = key.split(":", 1)[0]
        clash = names.get(f"{kind}:{group.name_zh}")
        if clash is not None and clash != group.code:
            errors.append(
                RowError(row_number, f"{kind}_zh", f"{group.name_zh!r} names both {clash} and {group.code}")
            )
        names.setdefault(f"{kind}:{group.name_zh}", group.code)
    if expect_shape and not errors:
        errors.extend(_shape_errors(items, last_row))
    if not items and not errors:
        errors.append(RowError(last_row, "file", "no items"))
    if errors:
        return None, errors
    items.sort(key=lambda item: code_key(item.code))
    return Catalogue(code=code, name=name.strip(), status=status, items=tuple(items)), []


def _shape_errors(items: Sequence[Item], last_row: int) -> list[RowError]:
    counts = {
        "level-1 items": (len({item.level1.code for item in items}), EXPECTED_LEVEL1),
        "level-2 items": (len({item.level2.code for item in items}), EXPECTED_LEVEL2),
        "level-3 items": (len(items), EXPECTED_LEVEL3),
        "blue items": (sum(item.tier is Tier.BLUE for item in items), EXPECTED_BLUE),
        "light-blue items": (sum(item.tier is Tier.LIGHT_BLUE for item in items), EXPECTED_LIGHT_BLUE),
    }
    return [
        RowError(last_row, "file", f"{found} {what}, the catalogue has {expected}")
        for what, (found, expected) in counts.items()
        if found != expected
    ]


# --------------------------------------------------------------------------------------------
# Identification
# --------------------------------------------------------------------------------------------

BM25_K1 = 1.2
BM25_B = 0.5
NAME_WEIGHT = 2  # the item's name and keywords count twice in its document
KEYWORD_BONUS = 1.6  # per curated keyword found in the text, times its specificity
CODE_BONUS = {4: 2.0, 3: 1.0, 2: 0.3}  # an industry code matching 4 / 3 / 2 leading digits
DECISION_THRESHOLD = 4.0  # least text score (BM25 + keywords) for a blue or light-blue decision
STRONG_TEXT = 20.0  # text score that decides without a curated keyword
UNQUALIFIED_FACTOR = 0.4  # an item whose qualifying terms (节能, 余热 …) are all absent ranks lower
MAX_CANDIDATES = 5

_STOPWORD_TEXT = (
    "的 了 和 与 及 或 等 为 对 在 于 将 并 其 以 由 向 从 把 被 用 用于 进行 开展 "
    "实施 建设 项目 工程 公司 有限公司 有限责任公司 集团 企业 贷款 资金 流动资金 申请 新建 "
    "扩建 购置 购买 采购 相关 配套 主要 一 个 年 万 亿 吨 亩 座 艘 台 套 家 期 号 元 "
    "万元 我 某 该 各 中 上 下 内 外 后 前 至 约 达 及其 以及 通过 利用 提供 服务 "
    "实现 提升 推动 开展 支持 用来 需要 拟 主营 经营 "
)
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_NON_WORD = re.compile(r"^[\W_]+$|^[0-9.%a-z]{1}$|^[0-9.%]+[a-z]*$")


def normalise(text: str) -> str:
    """NFKC (full-width letters and digits to ASCII), lower case, whitespace collapsed."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text or "")).strip().lower()


class Tokeniser:
    """Chinese word segmentation (jieba, search mode) that knows the catalogue's vocabulary.

    Search mode also emits the words inside long words (海水淡化 → 海水, 淡化, 海水淡化), so a
    text saying 热泵 still meets an item whose keyword is 热泵烘干. jieba's dictionary is loaded
    when the first tokeniser is built, not at import.
    """

    def __init__(self, vocabulary: Iterable[str] = ()) -> None:
        import logging

        import jieba

        jieba.setLogLevel(logging.WARNING)
        self._jieba = jieba.Tokenizer()
        self._jieba.initialize()
        for word in sorted(set(vocabulary)):
            word = normalise(word)
            if len(word) >= 2 and " " not in word:
                self._jieba.add_word(word, freq=max(self._jieba.suggest_freq(word, tune=False), 2000))

    def tokens(self, text: str) -> list[str]:
        """Content words of an already :func:`normalise`\\ d text."""
        return [
            token
            for token in self._jieba.cut_for_search(text, HMM=False)
            if token.strip() and token not in STOPWORDS and not _NON_WORD.match(token)
        ]


@dataclass(frozen=True)
class Exclusion:
    """An activity that sounds marine but is not sustainable (or not in scope): when one of
    ``patterns`` matches the text and none of ``unless`` does, the result is ``not-blue``."""

    code: str
    name_zh: str
    name_en: str
    patterns: tuple[str, ...]
    unless: tuple[str, ...] = ()

    def match(self, text: str) -> str | None:
        """The text that fired the rule, or ``None``."""
        return _first_match(
            [re.compile(p) for p in self.patterns], [re.compile(u) for u in self.unless], text
        )


def _first_match(
    patterns: Sequence[re.Pattern[str]], guards: Sequence[re.Pattern[str]], text: str
) -> str | None:
    for pattern in patterns:
        found = pattern.search(text)
        if found:
            if any(guard.search(text) for guard in guards):
                return None
            return found.group(0)
    return None


_EFFICIENCY = (
    r"节能|能效|更新改造|以旧换新|替换|替代|淘汰|减船|电动|纯电|lng|甲醇|玻璃钢|低油耗|降耗|升级改造"
)

EXCLUSIONS: tuple[Exclusion, ...] = (
    Exclusion(
        "reclamation",
        "围填海、填海造地及占用自然岸线",
        "Sea reclamation and occupation of natural shoreline",
        (
            r"围填海",
            r"填海",
            r"围海",
            r"吹填.{0,6}(陆域|造地|用地)",
            r"筑岛",
            r"占用.{0,6}(自然岸线|滩涂|湿地)",
        ),
        unless=(r"退[养堤围]还[湿滩海]", r"拆除.{0,6}围", r"生态修复"),
    ),
    Exclusion(
        "sea_sand",
        "海砂开采及采砂",
        "Sea-sand mining and dredging for sand",
        (r"海砂", r"采砂"),
    ),
    Exclusion(
        "fleet_expansion",
        "不提高能效的捕捞渔船新增与船队扩张",
        "Adding fishing vessels or capacity without efficiency gains",
        (
            r"(新造|新建|购置|购买|增加|扩大|扩建|扩充).{0,10}(渔船|捕捞船|拖网|围网|钓船|船队)",
            r"扩大.{0,8}捕捞",
            r"(增加|提高|提升).{0,8}捕捞(能力|产能|配额|强度)",
            r"大功率主机",
            r"商业捕捞",
        ),
        unless=(_EFFICIENCY,),
    ),
    Exclusion(
        "destructive_fishing",
        "底拖网等破坏性捕捞及非法捕捞",
        "Bottom trawling, destructive and illegal (IUU) fishing",
        (
            r"底拖网",
            r"电鱼",
            r"炸鱼",
            r"绝户网",
            r"非法捕捞",
            r"iuu",
            r"(捕捞|渔船).{0,6}燃油",
            r"燃油.{0,6}(捕捞|渔船)",
        ),
        unless=(_EFFICIENCY,),
    ),
    Exclusion(
        "fossil_terminal",
        "化石能源码头、储运与贸易",
        "Fossil-fuel terminals, storage and trade",
        (
            r"(原油|成品油|油品|石油|燃料油|柴油|煤炭|油库)",
            r"lng接收站",
            r"液化天然气接收",
            r"(油|煤|油气)(码头|泊位)",
            r"重质燃油|高硫燃油",
        ),
        unless=(
            r"油改电",
            r"含油污水",
            r"油水分离",
            r"溢油",
            r"收油",
            r"柴油机再制造",
            r"替换柴油",
            r"替代.{0,6}(燃油|柴油)",
        ),
    ),
    Exclusion(
        "offshore_oil_gas",
        "海洋油气勘探开采",
        "Offshore oil and gas exploration and production",
        (r"油气(平台|开采|勘探|田)", r"石油(钻井|勘探|平台)", r"海洋油气", r"钻井平台"),
    ),
    Exclusion(
        "fossil_power",
        "燃煤燃气发电与炼化",
        "Coal- and gas-fired power, refining and petrochemicals",
        (r"燃煤电厂", r"火力发电", r"火电", r"燃气发电", r"炼油", r"石化", r"乙烯"),
        unless=(r"替代燃煤", r"燃煤.{0,4}(改|换)", r"浓海水|浓盐水|海水冷却|温排水"),
    ),
    Exclusion(
        "habitat_harm",
        "在保护区、湿地等重要生境内的开发建设",
        "Development inside protected areas, wetlands and other critical habitats",
        (
            r"(保护区|湿地|红线区|海草床)(核心区)?内.{0,10}(新建|建设|开发)",
            r"在.{0,10}(保护区|湿地)(核心区)?内",
        ),
        unless=(r"修复|保护性运营|管护|巡护|除治|清除",),
    ),
    Exclusion(
        "out_of_scope_property",
        "滨海房地产、酒店餐饮等不属于目录的商业开发",
        "Coastal real estate, hotels, restaurants and other commercial development outside the catalogue",
        (
            r"房地产",
            r"住宅",
            r"别墅",
            r"海景房",
            r"商业街",
            r"商业综合体",
            r"酒店",
            r"酒楼",
            r"餐厅",
            r"大排档",
            r"婚庆",
            r"高尔夫",
        ),
        unless=(r"热泵|节能|光伏|岸电|污水处理|绿色建筑|超低能耗|渔家乐",),
    ),
    Exclusion(
        "port_expansion",
        "不含绿色措施的港口泊位扩能",
        "Port berth and capacity expansion without green measures",
        (r"(新建|新增|扩建|改扩建).{0,8}泊位", r"(新增|扩大|提升).{0,6}(吞吐|装卸)能力"),
        unless=(r"岸电|电动|油改电|加注|污染|扬尘|抑尘|自动化|节能",),
    ),
    Exclusion(
        "not_marine",
        "非海洋、非沿海范围的活动",
        "Activities outside marine and coastal scope",
        (r"内陆", r"陆上风电", r"山区"),
    ),
)


@dataclass(frozen=True)
class FiredExclusion:
    code: str
    name_zh: str
    name_en: str
    matched: str


@dataclass(frozen=True)
class Candidate:
    """A level-3 item proposed for a text, with the figures behind its score."""

    item: Item
    score: float
    text_score: float
    bm25: float
    keyword_score: float
    code_score: float
    matched_terms: tuple[str, ...]
    matched_keywords: tuple[str, ...]
    code_match: str  # the item's industry code that matched, or ""
    qualifier: str = ""  # the qualifying term found, if the item names any
    qualified: bool = True  # false when the item names qualifying terms and none is in the text

    @property
    def national_green(self) -> bool:
        return self.item.national_green

    def evidence_zh(self) -> str:
        parts = []
        if self.matched_keywords:
            parts.append("关键词：" + "、".join(self.matched_keywords))
        terms = [t for t in self.matched_terms if t not in self.matched_keywords]
        if terms:
            parts.append("相关词：" + "、".join(terms[:8]))
        if self.code_match:
            parts.append(f"行业代码匹配 {self.code_match}")
        if self.qualifier:
            parts.append(f"门槛词：{self.qualifier}")
        elif not self.qualified:
            parts.append("未见条目要求的门槛词（" + "、".join(self.item.qualifiers[:6]) + "）")
        return "；".join(parts) or "无文本证据"


@dataclass(frozen=True)
class Identification:
    """The engine's answer for one text: the decision, the ranked candidates and the evidence."""

    decision: Decision
    candidates: tuple[Candidate, ...]
    exclusions: tuple[FiredExclusion, ...]
    catalogue_code: str
    catalogue_status: VersionStatus
    engine_version: str
    reason: str

    @property
    def top(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    @property
    def chosen(self) -> Candidate | None:
        """The candidate the decision rests on (none for ``not-blue``)."""
        return self.top if self.decision is not Decision.NOT_BLUE else None

    def evidence_zh(self) -> str:
        parts = [self.reason]
        top = self.top
        if top is not None:
            parts.append(f"首选 {top.item.code} {top.item.name_zh}（{top.score:.2f}）：{top.evidence_zh()}")
        if self.exclusions:
            parts.append(
                "排除规则：" + "、".join(f"{e.name_zh}（命中“{e.matched}”）" for e in self.exclusions)
            )
        return "；".join(parts)


def _idf(n: int, df: int) -> float:
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


class Engine:
    """The identification engine for one catalogue version. Build it once and reuse it: building
    segments every item and loads jieba; classifying is then a few hundred microseconds."""

    def __init__(self, catalogue: Catalogue, tokeniser: Tokeniser | None = None) -> None:
        self.catalogue = catalogue
        items = catalogue.items
        vocabulary = [k for item in items for k in item.all_keywords] + [item.name_zh for item in items]
        self.tokeniser = tokeniser or Tokeniser(vocabulary)
        self._docs: list[Counter[str]] = []
        for item in items:
            doc: Counter[str] = Counter()
            heavy = [item.name_zh, *item.all_keywords]
            for text in heavy:
                for token in self.tokeniser.tokens(normalise(text)):
                    doc[token] += NAME_WEIGHT
            for text in (item.description_zh, item.level2.name_zh):
                doc.update(self.tokeniser.tokens(normalise(text)))
            self._docs.append(doc)
        n = len(items)
        df: Counter[str] = Counter()
        for doc in self._docs:
            df.update(doc.keys())
        self._idf = {term: _idf(n, count) for term, count in df.items()}
        lengths = [sum(doc.values()) for doc in self._docs]
        average = sum(lengths) / max(n, 1)
        self._norm = [BM25_K1 * (1 - BM25_B + BM25_B * length / average) for length in lengths]
        # postings: term -> [(item index, tf)] so scoring touches only items sharing a term
        self._postings: dict[str, list[tuple[int, int]]] = {}
        for index, doc in enumerate(self._docs):
            for term, tf in doc.items():
                self._postings.setdefault(term, []).append((index, tf))
        # curated keywords: specificity falls with the number of items naming them
        keyword_items: dict[str, list[int]] = {}
        for index, item in enumerate(items):
            for keyword in item.all_keywords:
                keyword_items.setdefault(normalise(keyword), []).append(index)
        self._keywords = sorted(keyword_items.items(), key=lambda pair: -len(pair[0]))
        self._keyword_weight = {
            keyword: KEYWORD_BONUS * min(len(keyword), 4) / 4 * _idf(n, len(indexes)) / _idf(n, 1)
            for keyword, indexes in keyword_items.items()
        }
        self._codes = [tuple(item.industry_codes) for item in items]
        self._qualifiers = [tuple(normalise(q) for q in item.qualifiers) for item in items]
        self._order = [code_key(item.code) for item in items]
        self._keywords_by_prefix: dict[str, list[int]] = {}
        self._short_keywords: list[int] = []
        for position, (keyword, _indexes) in enumerate(self._keywords):
            if len(keyword) < 2:
                self._short_keywords.append(position)
            else:
                self._keywords_by_prefix.setdefault(keyword[:2], []).append(position)
        self._exclusions = [
            (rule, [re.compile(p) for p in rule.patterns], [re.compile(u) for u in rule.unless])
            for rule in EXCLUSIONS
        ]

    def _code_bonus(self, index: int, industry_code: str) -> tuple[float, str]:
        best, match = 0.0, ""
        for code in self._codes[index]:
            shared = 0
            for a, b in zip(code, industry_code, strict=False):
                if a != b:
                    break
                shared += 1
            if len(code) < 4 and shared == len(code) and shared >= 2:
                shared = min(shared, 3)  # a division-only code ("74") matches at most as a prefix
            bonus = CODE_BONUS.get(min(shared, 4), 0.0) if shared >= 2 else 0.0
            if bonus > best:
                best, match = bonus, code
        return best, match

    def classify(self, text: str, industry_code: str | None = None) -> Identification:
        """Identify one text (a name, description or loan purpose in Chinese), optionally with the
        GB/T 4754 industry code of the loan's use (投向行业)."""
        clean = normalise(text)
        code = _industry_code(normalise(industry_code or "").upper()) if industry_code else ""
        code = code if code.isdigit() else ""
        tokens = self.tokeniser.tokens(clean)
        query = Counter(tokens)
        bm25: dict[int, float] = {}
        terms: dict[int, list[str]] = {}
        for term in query:
            postings = self._postings.get(term)
            if not postings:
                continue
            idf = self._idf[term]
            for index, tf in postings:
                bm25[index] = bm25.get(index, 0.0) + idf * tf * (BM25_K1 + 1) / (tf + self._norm[index])
                terms.setdefault(index, []).append(term)
        keyword_score: dict[int, float] = {}
        keywords: dict[int, list[str]] = {}
        covered: list[tuple[int, int]] = []
        bigrams = {clean[i : i + 2] for i in range(len(clean) - 1)}
        present = sorted(
            position for bigram in bigrams for position in self._keywords_by_prefix.get(bigram, ())
        )
        for keyword, indexes in (self._keywords[position] for position in present + self._short_keywords):
            start = clean.find(keyword)
            if start < 0:
                continue
            end = start + len(keyword)
            # a keyword inside a longer one already found counts once (海上风电 in 海上风电场)
            inside = any(s <= start and end <= e for s, e in covered)
            covered.append((start, end))
            weight = self._keyword_weight[keyword] * (0.5 if inside else 1.0)
            for index in indexes:
                keyword_score[index] = keyword_score.get(index, 0.0) + weight
                keywords.setdefault(index, []).append(keyword)
        scored = []
        for index in set(bm25) | set(keyword_score):
            text_score = bm25.get(index, 0.0) + keyword_score.get(index, 0.0)
            code_score, code_match = self._code_bonus(index, code) if code else (0.0, "")
            qualifier = next((q for q in self._qualifiers[index] if q in clean), "")
            qualified = bool(qualifier) or not self._qualifiers[index]
            factor = 1.0 if qualified else UNQUALIFIED_FACTOR
            score = round((text_score + code_score) * factor, 4)
            scored.append(
                (-score, self._order[index], index, text_score, code_score, code_match, qualifier, qualified)
            )
        scored.sort()
        ranked = tuple(
            Candidate(
                item=self.catalogue.items[index],
                score=-negative,
                text_score=round(text_score, 4),
                bm25=round(bm25.get(index, 0.0), 4),
                keyword_score=round(keyword_score.get(index, 0.0), 4),
                code_score=code_score,
                matched_terms=tuple(dict.fromkeys(terms.get(index, ()))),
                matched_keywords=tuple(keywords.get(index, ())),
                code_match=code_match,
                qualifier=qualifier,
                qualified=qualified,
            )
            for negative, _order, index, text_score, code_score, code_match, qualifier, qualified in scored[
                :MAX_CANDIDATES
            ]
        )
        fired = tuple(
            FiredExclusion(rule.code, rule.name_zh, rule.name_en, matched)
            for rule, patterns, guards in self._exclusions
            if (matched := _first_match(patterns, guards, clean)) is not None
        )
        decision, reason = self._decide(ranked, fired)
        return Identification(
            decision=decision,
            candidates=ranked,
            exclusions=fired,
            catalogue_code=self.catalogue.code,
            catalogue_status=self.catalogue.status,
            engine_version=ENGINE_VERSION,
            reason=reason,
        )

    @staticmethod
    def _decide(ranked: Sequence[Candidate], fired: Sequence[FiredExclusion]) -> tuple[Decision, str]:
        if fired:
            return Decision.NOT_BLUE, "触发排除规则，不属于蓝色"
        top = ranked[0] if ranked else None
        if top is None or top.text_score < DECISION_THRESHOLD:
            return Decision.NOT_BLUE, "与目录条目的文本相似度不足"
        if not top.qualified:
            return Decision.NOT_BLUE, "未见条目要求的门槛词（如节能、余热、清洁能源），不足以认定"
        if not top.matched_keywords and top.text_score < STRONG_TEXT:
            return Decision.NOT_BLUE, "未命中目录关键词，相似度不足以认定"
        if top.item.tier is Tier.LIGHT_BLUE:
            return Decision.LIGHT_BLUE, "匹配浅蓝条目（不计入绿色贷款统计）"
        return Decision.BLUE, "匹配蓝色条目"


# --------------------------------------------------------------------------------------------
# Loan books
# --------------------------------------------------------------------------------------------

MAX_AMOUNT_FEN = 10**17


def parse_amount_fen(raw: str | None) -> int | None:
    """A loan balance in yuan (``"1,234.5"``, ``"1234.50元"``) → integer fen; ``None`` if empty.

    Raises ``ValueError`` for text that is not an amount or has more than two decimals.
    """
    if raw is None:
        return None
    text = normalise(str(raw)).replace(",", "").replace("¥", "").replace("元", "").strip()
    if not text:
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(f"{raw!r} is not an amount") from exc
    if not amount.is_finite():
        raise ValueError(f"{raw!r} is not an amount")
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise ValueError(f"{raw!r} has more than two decimals")
    if amount < 0 or fen >= MAX_AMOUNT_FEN:
        raise ValueError(f"{raw!r} is out of range")
    return int(fen)


def format_fen(fen: int) -> str:
    """Integer fen → yuan text with two decimals (exact)."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


@dataclass
class Level1Balance:
    code: str
    name_zh: str
    blue_count: int = 0
    blue_fen: int = 0
    light_blue_count: int = 0
    light_blue_fen: int = 0


@dataclass
class BookSummary:
    """Counts and balances of a classified loan book; balances by level-1 item for blue and
    light-blue separately (light-blue is never added to the national-green total)."""

    rows: int = 0
    blue: int = 0
    light_blue: int = 0
    not_blue: int = 0
    rejected: int = 0
    blue_fen: int = 0
    light_blue_fen: int = 0
    not_blue_fen: int = 0
    by_level1: dict[str, Level1Balance] = field(default_factory=dict)

    def add(self, identification: Identification, amount_fen: int | None) -> None:
        self.rows += 1
        fen = amount_fen or 0
        chosen = identification.chosen
        if identification.decision is Decision.NOT_BLUE or chosen is None:
            self.not_blue += 1
            self.not_blue_fen += fen
            return
        item = chosen.item
        balance = self.by_level1.get(item.level1.code)
        if balance is None:
            balance = self.by_level1[item.level1.code] = Level1Balance(item.level1.code, item.level1.name_zh)
        if identification.decision is Decision.BLUE:
            self.blue += 1
            self.blue_fen += fen
            balance.blue_count += 1
            balance.blue_fen += fen
        else:
            self.light_blue += 1
            self.light_blue_fen += fen
            balance.light_blue_count += 1
            balance.light_blue_fen += fen

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "rejected": self.rejected,
            "blue": self.blue,
            "light_blue": self.light_blue,
            "not_blue": self.not_blue,
            "blue_amount": format_fen(self.blue_fen),
            "light_blue_amount": format_fen(self.light_blue_fen),
            "not_blue_amount": format_fen(self.not_blue_fen),
            "by_level1": [
                {
                    "code": b.code,
                    "name_zh": b.name_zh,
                    "blue_count": b.blue_count,
                    "blue_amount": format_fen(b.blue_fen),
                    "light_blue_count": b.light_blue_count,
                    "light_blue_amount": format_fen(b.light_blue_fen),
                }
                for b in sorted(self.by_level1.values(), key=lambda b: code_key(b.code))
            ],
        }


# --------------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LabelledCase:
    id: str
    split: str
    text: str
    industry_code: str
    expected: Decision
    expected_code: str  # level-3 code; "" for not-blue


@dataclass(frozen=True)
class Figures:
    """The evaluation figures the issue asks for, as exact fractions (numerator, denominator)."""

    cases: int
    level1_top1: tuple[int, int]
    level3_top3: tuple[int, int]
    not_blue_precision: tuple[int, int]
    not_blue_recall: tuple[int, int]
    decision_accuracy: tuple[int, int]

    @staticmethod
    def ratio(pair: tuple[int, int]) -> float:
        return pair[0] / pair[1] if pair[1] else 0.0

    def as_dict(self) -> dict[str, Any]:
        def one(pair: tuple[int, int]) -> dict[str, Any]:
            return {"hits": pair[0], "of": pair[1], "rate": round(self.ratio(pair), 4)}

        return {
            "cases": self.cases,
            "level1_top1_accuracy": one(self.level1_top1),
            "level3_top3_recall": one(self.level3_top3),
            "not_blue_precision": one(self.not_blue_precision),
            "not_blue_recall": one(self.not_blue_recall),
            "decision_accuracy": one(self.decision_accuracy),
        }


def evaluate(
    results: Iterable[tuple[LabelledCase, Identification]],
) -> tuple[Figures, list[tuple[LabelledCase, Identification]]]:
    """Score identifications against labels; also return the cases the engine got wrong.

    Level-1 top-1 accuracy and level-3 top-3 recall are over the blue and light-blue cases (is
    the expected item first at level 1 / among the first three at level 3, and is the text not
    excluded); not-blue precision and recall are over the decisions of all cases.
    """
    positives = l1_hits = l3_hits = 0
    predicted_not = true_not = actual_not = correct = cases = 0
    wrong: list[tuple[LabelledCase, Identification]] = []
    for case, result in results:
        cases += 1
        ok = result.decision is case.expected
        if case.expected is Decision.NOT_BLUE:
            actual_not += 1
        else:
            positives += 1
            top = result.top
            if result.decision is not Decision.NOT_BLUE and top is not None:
                if top.item.level1.code == case.expected_code.split(".")[0]:
                    l1_hits += 1
                if case.expected_code in {c.item.code for c in result.candidates[:3]}:
                    l3_hits += 1
                ok = ok and case.expected_code in {c.item.code for c in result.candidates[:3]}
        if result.decision is Decision.NOT_BLUE:
            predicted_not += 1
            if case.expected is Decision.NOT_BLUE:
                true_not += 1
        correct += result.decision is case.expected
        if not ok:
            wrong.append((case, result))
    figures = Figures(
        cases=cases,
        level1_top1=(l1_hits, positives),
        level3_top3=(l3_hits, positives),
        not_blue_precision=(true_not, predicted_not),
        not_blue_recall=(true_not, actual_not),
        decision_accuracy=(correct, cases),
    )
    return figures, wrong


def iter_labelled(rows: Iterable[Mapping[str, str | None]]) -> Iterator[LabelledCase]:
    for row in rows:
        yield LabelledCase(
            id=(row.get("id") or "").strip(),
            split=(row.get("split") or "dev").strip(),
            text=(row.get("text") or "").strip(),
            industry_code=(row.get("industry_code") or "").strip(),
            expected=Decision((row.get("expected_decision") or "").strip()),
            expected_code=(row.get("expected_code") or "").strip(),
        )
