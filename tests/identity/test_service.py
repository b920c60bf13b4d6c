from datetime import timedelta

import pytest
from sqlalchemy import select, text

from seagreen.audit import service as audit_service
from seagreen.audit.domain import Actor, AuditQuery
from seagreen.identity import credentials, service
from seagreen.identity.domain import LockoutPolicy, OrgKind, PrincipalKind, ResidentContact
from seagreen.identity.errors import (
    InvalidIdentityInput,
    OrgExists,
    ResidentExists,
    RoleNotAllowed,
    SelfDeactivation,
    UserExists,
)
from seagreen.identity.models import ApiKeyRow, WebSessionRow
from seagreen.kit.clock import utcnow
from tests.factories.identity import (
    PASSWORD,
    TEST_ACTOR,
    make_api_key,
    make_org,
    make_resident,
    make_user,
    national_id,
)


def events(session, action, object_id=None):
    return audit_service.list_events(session, AuditQuery(action=action, object_id=object_id)).items


# organisations


def test_registers_an_organisation_and_records_who_did_it(session):
    org = service.create_org(
        session, code="wh-pbc", kind="authority", name_zh="中国人民银行威海市分行", actor=TEST_ACTOR
    )
    assert (org.code, org.kind, org.active) == ("wh-pbc", OrgKind.AUTHORITY, True)
    [event] = events(session, "identity.org.create", "wh-pbc")
    assert event.actor_label == "tests"


def test_refuses_a_second_organisation_with_the_same_code(session):
    make_org(session, code="wh-bus")
    with pytest.raises(OrgExists):
        make_org(session, OrgKind.DATA_PARTNER, code="wh-bus")


def test_a_bank_branch_must_name_a_bank_as_its_parent(session):
    bank = make_org(session, OrgKind.BANK)
    branch = make_org(session, OrgKind.BANK_BRANCH, parent=bank.code)
    assert branch.parent_code == bank.code
    with pytest.raises(InvalidIdentityInput):
        service.create_org(session, code="lone-branch", kind="bank_branch", name_zh="支行", actor=TEST_ACTOR)
    authority = make_org(session, OrgKind.AUTHORITY)
    with pytest.raises(InvalidIdentityInput):
        make_org(session, OrgKind.BANK_BRANCH, parent=authority.code)


def test_refuses_unknown_kinds_and_bad_codes(session):
    with pytest.raises(InvalidIdentityInput):
        service.create_org(session, code="x-1", kind="casino", name_zh="赌场", actor=TEST_ACTOR)
    with pytest.raises(InvalidIdentityInput):
        service.create_org(session, code="Bad Code", kind="buyer", name_zh="买方", actor=TEST_ACTOR)


def test_ensure_org_creates_once_and_then_returns_the_same_organisation(session):
    first, created = service.ensure_org(session, code="wh-nfra", kind="authority", name_zh="金融监管分局")
    again, created_again = service.ensure_org(session, code="wh-nfra", kind="authority", name_zh="别的名字")
    assert (created, created_again) == (True, False)
    assert again == first
    assert len(events(session, "identity.org.create", "wh-nfra")) == 1
    with pytest.raises(OrgExists):
        service.ensure_org(session, code="wh-nfra", kind="bank", name_zh="银行")


# users


def test_creates_a_user_with_roles_its_organisation_may_hold(session):
    org = make_org(session, OrgKind.BANK)
    user = make_user(session, ("bank_officer", "partner"), org=org, username="Li.Wei")
    assert user.username == "li.wei"
    assert user.roles == {"bank_officer", "partner"}
    assert user.org_code == org.code
    [event] = events(session, "identity.user.create", str(user.id))
    assert event.details["roles"] == ["bank_officer", "partner"]


def test_refuses_a_role_the_organisation_kind_may_not_hold(session):
    authority = make_org(session, OrgKind.AUTHORITY)
    with pytest.raises(RoleNotAllowed) as refused:
        make_user(session, ("authority_reviewer", "bank_officer"), org=authority)
    assert refused.value.details["refused"] == ["bank_officer"]


def test_refuses_unknown_roles_and_no_roles(session):
    org = make_org(session)
    with pytest.raises(InvalidIdentityInput):
        make_user(session, ("superuser",), org=org)
    with pytest.raises(InvalidIdentityInput):
        make_user(session, (), org=org)


def test_refuses_a_duplicate_username_whatever_its_case(session):
    make_user(session, username="hai.yan")
    with pytest.raises(UserExists):
        make_user(session, username="Hai.Yan")


def test_refuses_a_short_password(session):
    with pytest.raises(InvalidIdentityInput):
        make_user(session, password="short")


def test_ensure_user_sets_the_password_only_when_it_creates_the_user(session):
    org = make_org(session)
    _, created = service.ensure_user(
        session,
        username="demo.admin",
        display_name="演示",
        org_code=org.code,
        roles=["platform_admin"],
        password=PASSWORD,
    )
    again, created_again = service.ensure_user(
        session,
        username="demo.admin",
        display_name="演示",
        org_code=org.code,
        roles=["operator"],
        password="another-password-1",
    )
    assert (created, created_again) == (True, False)
    assert again.roles == {"platform_admin"}
    assert service.login(session, "demo.admin", PASSWORD, session_hours=1).ok
    assert not service.login(session, "demo.admin", "another-password-1", session_hours=1).ok


def test_deactivating_a_user_ends_their_sessions_and_is_audited(session):
    user = make_user(session, password=PASSWORD)
    result = service.login(session, user.username, PASSWORD, session_hours=1)
    assert service.principal_for_session(session, result.session_token) is not None
    service.deactivate_user(session, user.username, actor=TEST_ACTOR, reason="left the bank")
    assert service.principal_for_session(session, result.session_token) is None
    assert not service.login(session, user.username, PASSWORD, session_hours=1).ok
    [event] = events(session, "identity.user.deactivate", str(user.id))
    assert event.reason == "left the bank"


def test_a_user_cannot_deactivate_themselves(session):
    user = make_user(session)
    with pytest.raises(SelfDeactivation):
        service.deactivate_user(session, user.username, actor=Actor("user", str(user.id), "me"))


def test_set_password_replaces_the_old_one_and_is_audited(session):
    user = make_user(session, password=PASSWORD)
    service.set_password(session, user.username, "a-brand-new-one", actor=TEST_ACTOR)
    assert service.login(session, user.username, "a-brand-new-one", session_hours=1).ok
    assert not service.login(session, user.username, PASSWORD, session_hours=1).ok
    assert events(session, "identity.user.set_password", str(user.id))


# password login and browser sessions


def test_login_opens_a_session_stored_only_as_a_hash(session):
    user = make_user(session, password=PASSWORD)
    result = service.login(session, user.username, PASSWORD, session_hours=12)
    assert result.ok and result.session_token
    principal = service.principal_for_session(session, result.session_token)
    assert principal.kind is PrincipalKind.USER
    assert principal.user_id == user.id
    assert principal.roles == {"platform_admin"}
    assert principal.csrf
    stored = session.execute(select(WebSessionRow).where(WebSessionRow.user_id == user.id)).scalar_one()
    assert stored.token_hash == credentials.token_digest(result.session_token)
    assert result.session_token not in {stored.token_hash, stored.csrf_token}
    assert events(session, "identity.session.login", str(user.id))


def test_wrong_password_and_unknown_user_fail_alike_and_are_audited(session):
    user = make_user(session, password=PASSWORD)
    wrong = service.login(session, user.username, "not-the-password", session_hours=1)
    unknown = service.login(session, "nobody.here", PASSWORD, session_hours=1)
    assert wrong == unknown
    assert not wrong.ok and wrong.session_token is None
    reasons = {e.details["reason"] for e in events(session, "identity.session.login_failed")}
    assert {"wrong_password", "unknown_user"} <= reasons


def test_five_wrong_passwords_lock_the_username_even_against_the_right_one(session):
    user = make_user(session, password=PASSWORD)
    now = utcnow()
    for _ in range(5):
        assert not service.login(session, user.username, "guess-guess", session_hours=1, now=now).ok
    assert not service.login(session, user.username, PASSWORD, session_hours=1, now=now).ok
    later = now + timedelta(minutes=15, seconds=1)
    assert service.login(session, user.username, PASSWORD, session_hours=1, now=later).ok


def test_a_successful_login_resets_the_failure_count(session):
    user = make_user(session, password=PASSWORD)
    policy = LockoutPolicy(max_failures=3)
    for _ in range(2):
        service.login(session, user.username, "guess-guess", session_hours=1, policy=policy)
    assert service.login(session, user.username, PASSWORD, session_hours=1, policy=policy).ok
    for _ in range(2):
        service.login(session, user.username, "guess-guess", session_hours=1, policy=policy)
    assert service.login(session, user.username, PASSWORD, session_hours=1, policy=policy).ok


def test_a_session_expires_after_its_hours(session):
    user = make_user(session, password=PASSWORD)
    now = utcnow()
    result = service.login(session, user.username, PASSWORD, session_hours=12, now=now)
    assert service.principal_for_session(session, result.session_token, now=now + timedelta(hours=11))
    assert service.principal_for_session(session, result.session_token, now=now + timedelta(hours=12)) is None


def test_logout_ends_the_session(session):
    user = make_user(session, password=PASSWORD)
    result = service.login(session, user.username, PASSWORD, session_hours=1)
    assert service.logout(session, result.session_token, actor=result.principal.as_actor())
    assert service.principal_for_session(session, result.session_token) is None
    assert not service.logout(session, result.session_token, actor=result.principal.as_actor())
    assert len(events(session, "identity.session.logout")) >= 1


def test_a_user_of_a_deactivated_organisation_cannot_use_their_session(session):
    user = make_user(session, password=PASSWORD)
    result = service.login(session, user.username, PASSWORD, session_hours=1)
    session.execute(
        text("UPDATE organisations SET active = :no WHERE code = :code"), {"no": False, "code": user.org_code}
    )
    assert service.principal_for_session(session, result.session_token) is None


# API keys


def test_an_api_key_is_returned_once_and_stored_only_as_its_hash(session):
    org = make_org(session, OrgKind.DATA_PARTNER)
    issued = service.create_api_key(
        session, org_code=org.code, roles=["partner"], name="公交刷卡数据", actor=TEST_ACTOR
    )
    raw = (
        session.execute(
            text("SELECT * FROM api_keys WHERE prefix = :prefix"), {"prefix": issued.api_key.prefix}
        )
        .mappings()
        .one()
    )
    assert issued.key.startswith(f"sg_{issued.api_key.prefix}_")
    assert all(issued.key not in str(value) for value in raw.values())
    assert raw["key_hash"] == credentials.token_digest(issued.key)
    assert all(not hasattr(key, "key") for key in service.list_api_keys(session, org.code))
    [event] = events(session, "identity.api_key.create", issued.api_key.prefix)
    assert issued.key not in str(event.details)


def test_an_api_key_identifies_its_organisation_and_roles(session):
    org = make_org(session, OrgKind.AUTHORITY)
    key = make_api_key(session, ("authority_reviewer",), org=org)
    principal, touch = service.principal_for_api_key(session, key)
    assert principal.kind is PrincipalKind.API_KEY
    assert (principal.org_code, principal.org_kind, principal.roles) == (
        org.code,
        OrgKind.AUTHORITY,
        {"authority_reviewer"},
    )
    assert principal.csrf is None
    assert touch


def test_a_key_with_the_right_prefix_but_another_secret_is_no_key(session):
    key = make_api_key(session)
    prefix = key.split("_")[1]
    assert service.principal_for_api_key(session, f"sg_{prefix}_{'A' * 43}") is None
    assert service.principal_for_api_key(session, "sg_zzzzzzzz_" + "A" * 43) is None
    assert service.principal_for_api_key(session, "garbage") is None


def test_a_revoked_key_is_refused_and_the_revocation_audited(session):
    key = make_api_key(session)
    prefix = key.split("_")[1]
    revoked = service.revoke_api_key(session, prefix, actor=TEST_ACTOR, reason="leaked in a log")
    assert revoked.revoked_at is not None
    assert service.principal_for_api_key(session, key) is None
    [event] = events(session, "identity.api_key.revoke", prefix)
    assert event.reason == "leaked in a log"


def test_a_key_cannot_have_roles_its_organisation_may_not_hold(session):
    org = make_org(session, OrgKind.DATA_PARTNER)
    with pytest.raises(RoleNotAllowed):
        service.create_api_key(session, org_code=org.code, roles=["platform_admin"], actor=TEST_ACTOR)


def test_refuses_malformed_scopes(session):
    org = make_org(session, OrgKind.DATA_PARTNER)
    with pytest.raises(InvalidIdentityInput):
        service.create_api_key(
            session, org_code=org.code, roles=["partner"], scopes=["Bad Scope"], actor=TEST_ACTOR
        )


def test_last_used_is_written_at_most_once_a_minute(session):
    key = make_api_key(session)
    now = utcnow()
    principal, due = service.principal_for_api_key(session, key, now=now)
    assert due
    service.touch_api_key(session, principal.api_key_id, now=now)
    assert service.principal_for_api_key(session, key, now=now + timedelta(seconds=30))[1] is False
    assert service.principal_for_api_key(session, key, now=now + timedelta(seconds=61))[1] is True
    stored = session.scalar(select(ApiKeyRow.last_used_at).where(ApiKeyRow.id == principal.api_key_id))
    assert stored == now


def test_roles_beyond_what_the_organisation_kind_allows_are_ignored_at_use(session):
    org = make_org(session, OrgKind.DATA_PARTNER)
    key = make_api_key(session, ("partner",), org=org)
    session.execute(
        text("UPDATE organisations SET kind = 'authority' WHERE code = :code"), {"code": org.code}
    )
    principal, _ = service.principal_for_api_key(session, key)
    assert principal.roles == frozenset()


# residents


def test_a_resident_row_holds_no_phone_or_id_number_or_name_in_clear(session, settings):
    id_number = national_id()
    ref, _ = make_resident(session, settings, phone="138 0631 0000", national_id_number=id_number)
    raw = session.execute(text("SELECT * FROM residents WHERE ref = :ref"), {"ref": ref}).mappings().one()
    dump = " ".join(str(value) for value in raw.values())
    for secret in ("13806310000", "0631", id_number, id_number[:14], "王海燕", "威海"):
        assert secret not in dump
    assert len(raw["phone_hash"]) == 64 and len(raw["national_id_hash"]) == 64


def test_finds_a_resident_by_phone_however_it_is_written_and_decrypts_the_contact(session, settings):
    ref, pii = make_resident(session, settings, phone="13806310000")
    resident, contact = service.find_resident(session, pii=pii, actor=TEST_ACTOR, phone="+86 138-0631-0000")
    assert resident.ref == ref
    assert contact == ResidentContact(
        name="王海燕", phone="13806310000", address="山东省威海市环翠区海滨北路 1 号"
    )


def test_finds_a_resident_by_id_number(session, settings):
    id_number = national_id()
    ref, pii = make_resident(session, settings, national_id_number=id_number)
    resident, _ = service.find_resident(session, pii=pii, actor=TEST_ACTOR, national_id=id_number.lower())
    assert resident.ref == ref


def test_every_lookup_of_personal_data_is_audited_found_or_not(session, settings):
    ref, pii = make_resident(session, settings)
    service.find_resident(session, pii=pii, actor=TEST_ACTOR, phone="13806310000", reason="热线来电")
    assert service.find_resident(session, pii=pii, actor=TEST_ACTOR, phone="13900000000") is None
    lookups = events(session, "identity.resident.lookup")
    assert [(e.object_id, e.details["found"]) for e in lookups[:2]] == [("", False), (ref, True)]
    assert lookups[1].reason == "热线来电"
    assert "13806310000" not in str([e.details for e in lookups])


def test_refuses_a_second_resident_with_the_same_phone(session, settings):
    make_resident(session, settings, phone="13806310000")
    with pytest.raises(ResidentExists):
        make_resident(session, settings, phone="+8613806310000")


def test_refuses_an_invalid_phone_or_id_number(session, settings):
    with pytest.raises(InvalidIdentityInput):
        make_resident(session, settings, phone="12345")
    with pytest.raises(InvalidIdentityInput):
        make_resident(session, settings, national_id_number="371002199003071230")


def test_ensure_resident_registers_once(session, settings):
    from tests.factories.identity import pii_for

    pii = pii_for(settings)
    first, created = service.ensure_resident(session, phone="13906310001", contact=ResidentContact(), pii=pii)
    again, created_again = service.ensure_resident(
        session, phone="139 0631 0001", contact=ResidentContact(), pii=pii
    )
    assert (created, created_again) == (True, False)
    assert again.ref == first.ref


def test_a_resident_login_holds_only_the_resident_role(session, settings):
    ref, _ = make_resident(session, settings)
    user = service.create_user(
        session,
        username="resident.wang",
        display_name="王",
        org_code=None,
        roles=["resident"],
        resident_ref=ref,
        password=PASSWORD,
        actor=TEST_ACTOR,
    )
    result = service.login(session, "resident.wang", PASSWORD, session_hours=1)
    assert result.principal.roles == {"resident"}
    assert result.principal.resident_id == user.resident_id
    assert result.principal.org_code is None
    with pytest.raises(RoleNotAllowed):
        service.create_user(
            session,
            username="resident.two",
            display_name="二",
            org_code=None,
            roles=["operator"],
            resident_ref=make_resident(session, settings, phone="13906310002")[0],
            actor=TEST_ACTOR,
        )
    with pytest.raises(UserExists):
        service.create_user(
            session,
            username="resident.again",
            display_name="王",
            org_code=None,
            roles=["resident"],
            resident_ref=ref,
            actor=TEST_ACTOR,
        )
