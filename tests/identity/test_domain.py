from datetime import UTC, datetime, timedelta

import pytest

from seagreen.audit.domain import ActorKind
from seagreen.identity.domain import (
    OrgKind,
    Principal,
    PrincipalKind,
    Role,
    after_failed_login,
    allowed_roles,
    is_locked,
    is_valid_org_code,
    parent_kind_required,
    parse_api_key,
    refused_roles,
    scope_allows,
    touch_due,
)

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


def test_authority_may_hold_only_the_reviewer_role():
    assert allowed_roles(OrgKind.AUTHORITY) == {Role.AUTHORITY_REVIEWER}
    assert refused_roles(OrgKind.AUTHORITY, ["authority_reviewer", "bank_officer"]) == ["bank_officer"]


def test_operator_holds_admin_and_operator_roles():
    assert refused_roles(OrgKind.OPERATOR, ["platform_admin", "operator"]) == []


def test_no_organisation_may_hold_the_resident_role_and_residents_hold_nothing_else():
    for kind in OrgKind:
        assert Role.RESIDENT not in allowed_roles(kind)
    assert allowed_roles(None) == {Role.RESIDENT}
    assert refused_roles(None, ["resident", "operator"]) == ["operator"]


def test_every_role_but_resident_has_an_organisation_kind_that_may_hold_it():
    held = set().union(*(allowed_roles(kind) for kind in OrgKind))
    assert held == set(Role) - {Role.RESIDENT}


def test_only_a_bank_branch_needs_a_parent_and_it_is_a_bank():
    assert parent_kind_required(OrgKind.BANK_BRANCH) is OrgKind.BANK
    assert all(parent_kind_required(kind) is None for kind in OrgKind if kind is not OrgKind.BANK_BRANCH)


@pytest.mark.parametrize("code", ["wh-pbc", "icbc-weihai", "a1"])
def test_accepts_short_lower_case_org_codes(code):
    assert is_valid_org_code(code)


@pytest.mark.parametrize("code", ["", "x", "WH-PBC", "-wh", "wh pbc", "威海", "a" * 33])
def test_refuses_other_org_codes(code):
    assert not is_valid_org_code(code)


def test_parse_api_key_finds_the_public_prefix():
    assert parse_api_key("sg_ab12cd34_" + "x" * 43) == "ab12cd34"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "sg_ab12cd34",
        "sg_AB12CD34_" + "x" * 43,
        "sk_ab12cd34_" + "x" * 43,
        "sg_ab12cd3_" + "x" * 43,
        "sg_ab12cd34_short",
    ],
)
def test_parse_api_key_refuses_what_cannot_be_a_key(raw):
    assert parse_api_key(raw) is None


def test_star_scope_grants_everything_and_a_family_star_grants_its_family():
    assert scope_allows({"*"}, "carbon:report")
    assert scope_allows({"carbon:*"}, "carbon:report")
    assert not scope_allows({"carbon:*"}, "credits:issue")
    assert scope_allows({"carbon:report"}, "carbon:report")
    assert not scope_allows({"carbon:report"}, "carbon:correct")
    assert not scope_allows(set(), "carbon:report")


def test_fifth_wrong_password_in_a_row_locks_for_fifteen_minutes_and_restarts_the_count():
    failures, locked_until = 0, None
    for _ in range(4):
        failures, locked_until = after_failed_login(failures, NOW)
        assert locked_until is None
    failures, locked_until = after_failed_login(failures, NOW)
    assert failures == 0
    assert locked_until == NOW + timedelta(minutes=15)
    assert is_locked(locked_until, NOW + timedelta(minutes=14, seconds=59))
    assert not is_locked(locked_until, NOW + timedelta(minutes=15))


def test_last_used_is_touched_at_most_once_a_minute():
    assert touch_due(None, NOW)
    assert not touch_due(NOW, NOW + timedelta(seconds=59))
    assert touch_due(NOW, NOW + timedelta(seconds=60))


def _principal(kind: PrincipalKind) -> Principal:
    return Principal(
        kind=kind,
        user_id=7 if kind is PrincipalKind.USER else None,
        api_key_id=9 if kind is PrincipalKind.API_KEY else None,
        org_id=1,
        org_code="wh-pbc",
        org_kind=OrgKind.AUTHORITY,
        roles=frozenset({"authority_reviewer"}),
        scopes=frozenset({"audit:*"}) if kind is PrincipalKind.API_KEY else frozenset(),
        display_name="审核员",
    )


def test_a_principal_becomes_an_audit_actor_of_its_kind_and_organisation():
    user, key = _principal(PrincipalKind.USER).as_actor(), _principal(PrincipalKind.API_KEY).as_actor()
    assert (user.kind, user.id, user.org_code) == (ActorKind.USER, "7", "wh-pbc")
    assert (key.kind, key.id, key.label) == (ActorKind.API_KEY, "9", "审核员")


def test_users_are_limited_by_roles_only_and_keys_also_by_scopes():
    assert _principal(PrincipalKind.USER).has_scope("anything:at_all")
    assert _principal(PrincipalKind.API_KEY).has_scope("audit:read")
    assert not _principal(PrincipalKind.API_KEY).has_scope("carbon:report")
