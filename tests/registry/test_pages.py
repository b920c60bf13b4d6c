"""The registry's pages with browser sessions: the owner's forms, the authority's desk, a bank's
holdings and retirement, the public registry, certificates and their verification, in Chinese
and in English."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from seagreen.identity.domain import OrgKind
from seagreen.kit.clock import utcnow
from seagreen.registry import service
from seagreen.registry.service import projects as project_service
from tests.factories.identity import browser_login, form_csrf, make_org, make_user
from tests.factories.registry import seagrass_inputs

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


@pytest.fixture()
def people(session):
    service.load_shipped(session)
    owner = make_user(
        session,
        ("project_owner",),
        org=make_org(session, OrgKind.PROJECT_OWNER),
        password="tide-and-seagrass-42",
    )
    authority = make_user(
        session,
        ("authority_reviewer",),
        org=make_org(session, OrgKind.AUTHORITY),
        password="tide-and-seagrass-42",
    )
    bank_org = make_org(session, OrgKind.BANK)
    bank = make_user(session, ("bank_officer",), org=bank_org, password="tide-and-seagrass-42")
    branch = make_org(session, OrgKind.BANK_BRANCH, parent=bank_org.code)
    session.commit()
    return {"owner": owner, "authority": authority, "bank": bank, "branch": branch}


def sign_in(client, user) -> None:
    client.cookies.clear()
    assert browser_login(client, user.username).status_code == 303


def post_form(client, page_url: str, action: str, data: dict, files: dict | None = None):
    page = client.get(page_url)
    assert page.status_code == 200, page.text[-500:]
    return client.post(
        action, data={"csrf": form_csrf(page.text), **data}, files=files, follow_redirects=False
    )


def key_of(html: str, form_id: str) -> str:
    form = html[html.index(f'id="{form_id}"') :]
    return re.search(r'name="key" value="([^"]+)"', form).group(1)


def test_from_registration_to_a_verified_certificate_through_the_pages(client, people, monkeypatch):
    sign_in(client, people["owner"])
    created = post_form(
        client,
        "/registry/projects/new",
        "/registry/projects",
        {
            "name_zh": "天鹅湖海草床（页面测试）",
            "methodology": "seagrass-restoration",
            "location": "荣成市天鹅湖",
            "area": "200",
            "area_unit": "mu",
            "crediting_start": "2021-01-01",
            "crediting_end": "2040-12-31",
        },
        files={"document": ("pdd.pdf", b"%PDF-1.4 pdd", "application/pdf")},
    )
    assert created.status_code == 303
    project_url = created.headers["location"]
    code = project_url.rsplit("/", 1)[1]
    page = client.get(project_url)
    assert "草稿" in page.text and "pdd.pdf" in page.text and "200 亩（13.3333 公顷）" in page.text
    assert post_form(client, project_url, f"/registry/projects/{code}/submit", {}).status_code == 303

    client.cookies.clear()
    assert client.get(project_url).status_code == 404  # not public before the notice

    sign_in(client, people["authority"])
    assert code in client.get("/registry/review").text
    noticed = post_form(
        client, project_url, f"/registry/projects/{code}/review", {"decision": "start_notice", "text": ""}
    )
    assert noticed.status_code == 303
    client.cookies.clear()
    public = client.get(project_url)
    assert public.status_code == 200 and "公示中" in public.text and "个工作日" in public.text

    sign_in(client, people["authority"])
    later = utcnow() + timedelta(days=20)
    monkeypatch.setattr(project_service, "utcnow", lambda: later)
    filed = post_form(
        client, project_url, f"/registry/projects/{code}/file", {"buffer_percent": "10", "text": "公示无异议"}
    )
    assert filed.status_code == 303 and "已备案" in client.get(project_url).text

    sign_in(client, people["owner"])
    reported = post_form(
        client,
        project_url,
        f"/registry/projects/{code}/reports",
        {
            "period_start": "2021-01-01",
            "period_end": "2023-12-31",
            "inputs": json.dumps(seagrass_inputs(), default=str),
        },
    )
    assert reported.status_code == 303
    report_url = reported.headers["location"]
    assert "338.700" in client.get(report_url).text

    sign_in(client, people["authority"])
    post_form(client, report_url, report_url + "/verify", {"verifier": "海洋碳汇中心", "statement": "无误"})
    issued = post_form(client, report_url, report_url + "/issue", {})
    assert issued.status_code == 303 and "SGWH-" + code in client.get(project_url).text

    sign_in(client, people["owner"])
    mine = client.get("/registry/mine")
    sold = client.post(
        "/registry/transfers",
        data={
            "csrf": form_csrf(mine.text),
            "key": key_of(mine.text, "transfer-form"),
            "project": code,
            "to_org": people["bank"].org_code,
            "quantity": "100",
            "price_yuan_per_t": "58",
        },
        follow_redirects=False,
    )
    assert sold.status_code == 303

    sign_in(client, people["bank"])
    mine = client.get("/registry/mine")
    assert "100" in mine.text
    retired = client.post(
        "/registry/retirements",
        data={
            "csrf": form_csrf(mine.text),
            "key": key_of(mine.text, "retire-form"),
            "project": code,
            "quantity": "30",
            "beneficiary_name": "荣成支行",
            "beneficiary_org": people["branch"].code,
            "purpose": "网点碳中和",
            "claim_start": "2024-01-01",
            "claim_end": "2024-12-31",
        },
        follow_redirects=False,
    )
    assert retired.status_code == 303
    certificate_url = retired.headers["location"]
    certificate = client.get(certificate_url)
    assert "签名有效" in certificate.text and "荣成支行" in certificate.text

    client.cookies.clear()
    document = client.get(certificate_url + "/certificate.json").content
    verify = client.get("/registry/verify")
    checked = client.post("/registry/verify", files={"file": ("c.json", document, "application/json")})
    assert "签名有效" in checked.text
    tampered = document.replace("网点碳中和".encode(), "网点".encode())
    assert "签名无效" in client.post("/registry/verify", data={"text": tampered.decode()}).text
    assert verify.status_code == 200
    assert client.get(certificate_url + "/certificate.pdf").content.startswith(b"%PDF-")


def test_the_public_registry_page_in_both_languages(client, people):
    chinese = client.get("/registry")
    assert chinese.status_code == 200 and "海洋碳汇登记簿" in chinese.text and "查询序列号" in chinese.text
    english = client.get("/registry", params={"lang": "en"})
    assert "Ocean carbon-sink registry" in english.text and "Look up a serial" in english.text


def test_looking_up_a_serial_that_was_never_issued_says_so(client, people):
    page = client.get("/registry/serials", params={"serial": "999999999"})
    assert page.status_code == 200 and "has not been issued" in page.text
    assert "not a serial number" in client.get("/registry/serials", params={"serial": "abc"}).text


def test_the_public_key_page_shows_the_key_the_certificates_are_checked_with(client, settings):
    from seagreen.kit.keys import load_keys

    key = service.public_key(load_keys(settings))
    page = client.get("/registry/public-key")
    assert key.public_key_base64 in page.text and key.key_id in page.text and "BEGIN PUBLIC KEY" in page.text


def test_a_page_form_error_is_shown_as_a_message(client, people):
    sign_in(client, people["owner"])
    refused = post_form(
        client,
        "/registry/projects/new",
        "/registry/projects",
        {
            "name_zh": "x",
            "methodology": "seagrass-restoration",
            "location": "y",
            "area": "-5",
            "area_unit": "ha",
            "crediting_start": "2021-01-01",
            "crediting_end": "2040-12-31",
        },
    )
    assert refused.status_code == 422 and "area_ha" in refused.text


def test_every_state_and_kind_a_page_names_has_both_languages():
    from seagreen.registry.domain.lifecycle import ProjectState
    from seagreen.registry.domain.serials import BlockState
    from seagreen.registry.service.operations import ISSUANCE, MOVE_KINDS, REVERSAL
    from seagreen.web.i18n import catalogue

    keys = catalogue()
    wanted = [f"registry.project_state.{s.value}" for s in ProjectState]
    wanted += [f"registry.state.{s.value}" for s in BlockState]
    wanted += [f"registry.kind.{k}" for k in (*MOVE_KINDS, ISSUANCE, REVERSAL)]
    assert [key for key in wanted if key not in keys] == []
