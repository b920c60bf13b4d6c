"""Every code, key and reference pattern refuses a value followed by a line break. Python's ``$``
also matches just before a final ``\\n``, so ``re.match(r"^[a-z]+$", "bus\\n")`` matches: an org code,
a resident ref or a behaviour code ``"bus\\n"`` passed as ``"bus"`` would, and was stored as a
second one. The patterns end with ``\\Z`` instead."""

from __future__ import annotations

import re

import pytest

from seagreen.audit import domain as audit
from seagreen.benefits import domain as benefits
from seagreen.branches import domain as branches
from seagreen.branches.service import applications
from seagreen.carbon_account import domain as carbon
from seagreen.identity import domain as identity
from seagreen.identity.service import residents
from seagreen.kit import storage
from seagreen.registry.domain import parameters as registry

CASES = [
    (audit.ACTION_PATTERN, "carbon_account.ingest.api"),
    (benefits.CODE_PATTERN, "bus-ride"),
    (branches.CODE_PATTERN, "wh-branch-1"),
    (branches.KEY_PATTERN, "green_loans"),
    (branches._MONEY, "1200.50"),
    (branches._RATE, "3.85"),
    (branches.NUMBER_PATTERN, "WHGB-2026-001"),
    (applications.EMAIL, "a@example.cn"),
    (applications.PHONE, "+86 631 5200000"),
    (carbon.CODE_PATTERN, "bus_trip"),
    (carbon.VERSION_CODE_PATTERN, "weihai-v1"),
    (carbon.UNIT_PATTERN, "trip"),
    (identity.ORG_CODE_PATTERN, "wh-bus"),
    (identity.USERNAME_PATTERN, "operator1"),
    (identity.SCOPE_PATTERN, "carbon:write"),
    (identity.API_KEY_PATTERN, "sg_abcd1234_" + "x" * 24),
    (residents.RESIDENT_REF, "R12345"),
    (storage.KEY_PATTERN, "reports/ab/" + "0" * 64),
    (registry.CODE_PATTERN, "seagrass-v1"),
]


@pytest.mark.parametrize(("pattern", "valid"), CASES, ids=[p.pattern for p, _ in CASES])
def test_a_pattern_takes_its_value_and_refuses_it_with_a_line_break_after(
    pattern: re.Pattern[str], valid: str
):
    assert pattern.match(valid), valid
    assert pattern.match(valid + "\n") is None
    assert pattern.match(valid + "\r\n") is None


def test_a_resident_ref_with_a_line_break_after_it_is_not_a_ref():
    assert residents.is_valid_resident_ref("R1")
    assert not residents.is_valid_resident_ref("R1\n")
    assert not identity.is_valid_org_code("wh-bus\n")
