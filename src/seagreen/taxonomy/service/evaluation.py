"""The evaluation of the identification engine on the labelled set (``seagreen taxonomy evaluate``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from seagreen.taxonomy.domain import (
    ENGINE_VERSION,
    Engine,
    Figures,
    evaluate,
    iter_labelled,
)
from seagreen.taxonomy.service.catalogue import EVALUATION_FILE, catalogue, csv_rows, decode_text, engine_for


@dataclass(frozen=True)
class EvaluationReport:
    catalogue_version: str
    engine_version: str
    by_split: dict[str, Figures]
    wrong: list[tuple[str, str, str, str, str]]  # id, split, text, expected, got


def evaluate_engine(engine: Engine, data: bytes) -> EvaluationReport:
    """Run the labelled set through ``engine``: figures for each split and for all cases."""
    cases = list(iter_labelled(dict(row) for _number, row in csv_rows(decode_text(data))))
    results = [(case, engine.classify(case.text, case.industry_code or None)) for case in cases]
    by_split: dict[str, Figures] = {}
    for split in sorted({case.split for case in cases}):
        by_split[split], _ = evaluate(pair for pair in results if pair[0].split == split)
    by_split["all"], wrong = evaluate(results)
    return EvaluationReport(
        catalogue_version=engine.catalogue.code,
        engine_version=ENGINE_VERSION,
        by_split=by_split,
        wrong=[
            (
                case.id,
                case.split,
                case.text,
                f"{case.expected.value} {case.expected_code}".strip(),
                f"{result.decision.value} {result.top.item.code if result.top else ''}".strip(),
            )
            for case, result in wrong
        ],
    )


def evaluate_file(
    session: Session, path: Path | None = None, *, version: str | None = None
) -> EvaluationReport:
    """``seagreen taxonomy evaluate``: the labelled set shipped with SeaGreen, or another file."""
    return evaluate_engine(engine_for(catalogue(session, version)), (path or EVALUATION_FILE).read_bytes())
