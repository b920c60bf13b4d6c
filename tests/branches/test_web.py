"""The API and the pages: a bank applies and uploads, the authorities review, the public sees the
list and certificates; errors come back as JSON or as the page with the reason; another bank sees
nothing; the operator runs the scheduled job at the server's clock."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from seagreen.app import create_app
from seagreen.branches import service
from seagreen.branches.domain import LOCAL_TZ
from seagreen.identity import service as identity
from tests.factories.branches import (
    AUTHORITIES,
    GOOD_FORM,
    LEAD,
    NARRATIVE,
    FakeSender,
    World,
    pdf_bytes,
    recognised,
)
from tests.factories.identity import (
    bearer,
    browser_login,
    cheap_password_hashing,
    form_csrf,
    make_api_key,
    make_user,
)

__all__ = ["cheap_password_hashing"]
pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


@pytest.fixture()
def sender() -> FakeSender:
    return FakeSender()


@pytest.fixture()
def client(world: World, settings, session_factory, sender, tmp_path) -> Iterator[TestClient]:
    world.session.commit()
    configured = settings.model_copy(
        update={
            "branches_authorities": list(AUTHORITIES),
            "branches_lead_authority": LEAD,
            "upload_dir": world.store.root,
            "upload_max_bytes": 200_000,
        }
    )
    app = create_app(configured, session_factory=session_factory)
    app.state.clock = lambda: world.now
    app.state.mail_sender = sender
    with TestClient(app) as test_client:
        yield test_client


def key(world: World, org: str, role: str) -> dict[str, str]:
    found = make_api_key(world.session, (role,), org=identity.get_org(world.session, org))
    world.session.commit()
    return bearer(found)


def user(world: World, client: TestClient, org: str, role: str, name: str) -> None:
    make_user(
        world.session,
        (role,),
        org=identity.get_org(world.session, org),
        username=name,
        password="tide-and-seagrass-42",
    )
    world.session.commit()
    client.cookies.clear()
    assert browser_login(client, name).status_code == 303


def form_data(*pairs: tuple[str, str], values: dict | None = None) -> dict[str, str | list[str]]:
    """Form data as httpx takes it (a repeated field is a list), indicator values as ``f.<key>``."""
    data: dict[str, str | list[str]] = dict(pairs)
    for name, value in (values or {}).items():
        data[f"f.{name}"] = value
    return data


# ---- the API ------------------------------------------------------------------------------------


def test_the_api_takes_an_application_to_the_public_list(client, world):
    bank = key(world, "bank-a", "bank_officer")
    created = client.post(
        "/api/v1/branches/applications",
        json={
            "round": world.round,
            "branch": world.branch,
            "contact_name": "李海",
            "contact_phone": "0631-5200000",
            "contact_email": "green@bank-a.example",
            "narrative": NARRATIVE,
            "values": GOOD_FORM,
        },
        headers=bank,
    )
    assert created.status_code == 201, created.text
    application = created.json()["id"]
    incomplete = client.post(f"/api/v1/branches/applications/{application}/submit", headers=bank)
    assert incomplete.status_code == 422
    assert incomplete.json()["error"]["details"]["errors"] == [
        {"field": "documents", "reason": "attach at least one supporting document", "code": "documents"}
    ]
    uploaded = client.post(
        f"/api/v1/branches/applications/{application}/documents",
        files=[("files", ("说明.pdf", pdf_bytes(), "application/pdf"))],
        headers=bank,
    )
    assert uploaded.status_code == 201 and uploaded.json()[0]["filename"] == "说明.pdf"
    assert (
        client.post(f"/api/v1/branches/applications/{application}/submit", headers=bank).json()["status"]
        == "submitted"
    )

    for code in AUTHORITIES:
        reviewed = client.post(
            f"/api/v1/branches/applications/{application}/reviews",
            json={"decision": "approve", "reason": "同意认定"},
            headers=key(world, code, "authority_reviewer"),
        )
        assert reviewed.status_code == 200, reviewed.text
    assert reviewed.json()["recognition"] == "WHGB-2026-001"

    listing = client.get("/api/v1/branches/public").json()  # no credentials
    assert [e["number"] for e in listing["recognised"]] == ["WHGB-2026-001"]
    pdf = client.get(listing["recognised"][0]["certificate_url"])
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    api_pdf = client.get("/api/v1/branches/public/WHGB-2026-001/certificate.pdf")
    assert api_pdf.content == pdf.content
    sheet = client.get(f"/api/v1/branches/applications/{application}/scores", headers=bank).json()
    assert [c["decision"] for c in sheet["columns"]] == [None, "approve", "approve", "approve"]


def test_documents_and_applications_never_reach_another_bank(client, world):
    number = recognised(world)
    world.session.commit()
    application = client.get(
        "/api/v1/branches/recognitions/" + number, headers=key(world, "bank-a", "bank_officer")
    )
    application_id = application.json()["application"]
    own = key(world, "bank-a", "bank_officer")
    document_id = client.get(f"/api/v1/branches/applications/{application_id}", headers=own).json()[
        "documents"
    ][0]["id"]
    download = client.get(f"/api/v1/branches/documents/{document_id}", headers=own)
    assert download.status_code == 200 and download.content == pdf_bytes()
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.headers["x-content-type-options"] == "nosniff"
    other = key(world, "bank-b", "bank_officer")
    for path in (
        f"/api/v1/branches/documents/{document_id}",
        f"/api/v1/branches/applications/{application_id}",
        f"/api/v1/branches/recognitions/{number}",
    ):
        refused = client.get(path, headers=other)
        assert refused.status_code == 404, path
    assert client.get(f"/green-branch/documents/{document_id}", headers=other).status_code == 404
    assert client.get("/api/v1/branches/applications", headers=other).json() == []


def test_api_refusals_have_codes(client, world):
    number = recognised(world)
    world.session.commit()
    outsider = key(world, "auth-pbc", "authority_reviewer")
    revoke = client.post(
        f"/api/v1/branches/recognitions/{number}/revoke", json={"reason": "逾期"}, headers=outsider
    )
    assert (
        revoke.status_code == 403 and revoke.json()["error"]["code"] == "branches_not_a_reviewing_authority"
    )
    lead = key(world, LEAD, "authority_reviewer")
    early = client.post(
        f"/api/v1/branches/recognitions/{number}/revoke", json={"reason": "逾期"}, headers=lead
    )
    assert early.status_code == 409 and early.json()["error"]["code"] == "branches_transition_not_allowed"


def test_the_operator_runs_the_scheduled_job_at_the_servers_clock(client, world, sender):
    number = recognised(world)
    world.session.commit()
    world.at(datetime(2027, 4, 1, 9, tzinfo=LOCAL_TZ))
    operator = bearer(make_api_key(world.session, ("operator",)))
    world.session.commit()
    report = client.post("/api/v1/branches/tick", headers=operator).json()
    assert report["became_overdue"] == 1 and report["notices_sent"] == 2  # recognised, overdue
    assert [m.subject.split(" / ")[1] for m in sender.sent] == [
        f"Recognised as a green sub-branch ({number})",
        f"Annual report overdue ({number})",
    ]
    rec = client.get(
        f"/api/v1/branches/recognitions/{number}", headers=key(world, "bank-a", "bank_officer")
    ).json()
    assert rec["status"] == "overdue" and rec["missing_reports"] == [2026]


# ---- the pages -----------------------------------------------------------------------------------


def test_a_bank_applies_on_the_one_form_and_an_authority_reviews_it(client, world):
    user(world, client, "bank-a", "bank_officer", "bank.officer")
    hub = client.get("/green-branch")
    assert hub.status_code == 200 and "2026 年第一批绿色支行认定" in hub.text
    form = client.get("/green-branch/apply")
    assert form.status_code == 200 and "建议稿" in form.text
    posted = client.post(
        "/green-branch/apply",
        data=form_data(
            ("csrf", form_csrf(form.text)),
            ("round", world.round),
            ("branch", world.branch),
            ("contact_name", "李海"),
            ("contact_phone", "0631-5200000"),
            ("contact_email", "green@bank-a.example"),
            ("narrative", NARRATIVE),
            ("action", "submit"),
            values=GOOD_FORM,
        ),
        files=[("documents", ("说明.pdf", pdf_bytes(), "application/pdf"))],
        follow_redirects=False,
    )
    assert posted.status_code == 303, posted.text[-800:]
    page = client.get(posted.headers["location"])
    assert "已提交，等待三方审核" in page.text and "审核中" in page.text
    application = int(re.search(r"/applications/(\d+)", posted.headers["location"]).group(1))

    user(world, client, LEAD, "authority_reviewer", "lead.reviewer")
    page = client.get(f"/green-branch/applications/{application}")
    assert "三方评分对照" in page.text and 'name="decision" value="approve"' in page.text
    reviewed = client.post(
        f"/green-branch/applications/{application}/review",
        data=form_data(
            ("csrf", form_csrf(page.text)), ("decision", "approve"), ("reason", "指标达标，同意。")
        ),
        follow_redirects=False,
    )
    assert reviewed.status_code == 303
    page = client.get(reviewed.headers["location"])
    assert "审核意见已记录" in page.text and "指标达标，同意。" in page.text
    bad = client.post(
        f"/green-branch/applications/{application}/review",
        data=form_data(("csrf", form_csrf(page.text)), ("decision", "approve"), ("reason", "x")),
    )
    assert bad.status_code == 422 and "reason" in bad.text


def test_a_refused_upload_shows_why_and_keeps_what_was_typed(client, world):
    user(world, client, "bank-a", "bank_officer", "bank.officer")
    form = client.get("/green-branch/apply")
    posted = client.post(
        "/green-branch/apply",
        data=form_data(
            ("csrf", form_csrf(form.text)),
            ("round", world.round),
            ("branch", world.branch),
            ("contact_name", "李海"),
            ("action", "save"),
            values={"loans_total": "123456.78"},
        ),
        files=[("documents", ("说明.pdf", b"<html>not a pdf</html>", "application/pdf"))],
    )
    assert posted.status_code == 422
    assert (
        "not an accepted type" in posted.text and 'value="123456.78"' in posted.text and "李海" in posted.text
    )
    assert client.get("/api/v1/branches/applications").status_code == 200
    assert "#1" not in client.get("/green-branch").text  # nothing was kept


def test_saving_a_draft_then_submitting_from_its_page(client, world):
    user(world, client, "bank-a", "bank_officer", "bank.officer")
    form = client.get("/green-branch/apply")
    saved = client.post(
        "/green-branch/apply",
        data=form_data(
            ("csrf", form_csrf(form.text)),
            ("round", world.round),
            ("branch", world.branch),
            ("action", "save"),
            values={"loans_total": "1000"},
        ),
        follow_redirects=False,
    )
    location = saved.headers["location"]
    page = client.get(location)
    assert "已保存草稿" in page.text and "还有" in page.text
    refused = client.post(
        location.split("?")[0],
        data=form_data(("csrf", form_csrf(page.text)), ("action", "submit"), values={"loans_total": "1000"}),
    )
    assert refused.status_code == 422 and "the form is not complete" in refused.text


def test_the_public_list_and_a_withdrawn_certificate(client, world):
    number = recognised(world)
    world.session.commit()
    page = client.get("/green-branch/list")
    assert page.status_code == 200 and number in page.text and "绿色支行公开名单" in page.text
    assert (
        client.get("/green-branch/list", params={"lang": "en"}).text.count(
            "Public list of green sub-branches"
        )
        >= 1
    )
    certificate = client.get(f"/green-branch/list/{number}/certificate.pdf")
    assert certificate.headers["content-type"] == "application/pdf"
    world.at(datetime(2027, 4, 1, 9, tzinfo=LOCAL_TZ))
    lead = key(world, LEAD, "authority_reviewer")
    service.tick(world.session, policy=service.policy_from_settings(client.app.state.settings), now=world.now)
    world.session.commit()
    assert (
        client.post(
            f"/api/v1/branches/recognitions/{number}/revoke", json={"reason": "逾期未报"}, headers=lead
        ).status_code
        == 200
    )
    gone = client.get(f"/green-branch/list/{number}/certificate.pdf")
    assert gone.status_code == 410
    listed = client.get("/green-branch/list", params={"lang": "zh-CN"}).text  # the cookie said English
    assert "已取消资质的支行" in listed


def test_an_annual_report_on_the_branchs_page_and_the_leads_decision(client, world):
    number = recognised(world)
    world.session.commit()
    world.at(datetime(2027, 3, 10, 9, tzinfo=LOCAL_TZ))
    user(world, client, "bank-a", "bank_officer", "bank.officer")
    page = client.get(f"/green-branch/recognitions/{number}")
    assert "提交年度运营情况报告" in page.text and '<option value="2026">' in page.text
    sent = client.post(
        f"/green-branch/recognitions/{number}/reports",
        data=form_data(
            ("csrf", form_csrf(page.text)),
            ("year", "2026"),
            ("narrative", "全年绿色贷款稳步增长。"),
            values=GOOD_FORM,
        ),
        files=[("documents", ("2026年度报告.pdf", pdf_bytes("2026"), "application/pdf"))],
        follow_redirects=False,
    )
    assert sent.status_code == 303 and sent.headers["location"].endswith("done=reported")
    page = client.get(sent.headers["location"])
    assert "年度报告已提交" in page.text and "2026年度报告.pdf" in page.text and "待审核" in page.text

    user(world, client, AUTHORITIES[1], "authority_reviewer", "pbc.person")
    assert (
        'action="/green-branch/recognitions/' + number + '/reports/2026"'
        not in client.get(f"/green-branch/recognitions/{number}").text
    )  # only the lead decides reports
    user(world, client, LEAD, "authority_reviewer", "lead.person")
    page = client.get(f"/green-branch/recognitions/{number}")
    decided = client.post(
        f"/green-branch/recognitions/{number}/reports/2026",
        data=form_data(("csrf", form_csrf(page.text)), ("decision", "pass"), ("reason", "报告完整。")),
        follow_redirects=False,
    )
    assert decided.status_code == 303
    page = client.get(decided.headers["location"])
    assert "审核结果已记录" in page.text and "通过" in page.text and "报告完整。" in page.text
    again = client.post(
        f"/green-branch/recognitions/{number}/reports/2026",
        data=form_data(("csrf", form_csrf(page.text)), ("decision", "fail"), ("reason", "再议")),
    )
    assert again.status_code == 409 and "cannot be decided again" in again.text


def test_the_navigation_leads_the_public_to_the_list_and_a_bank_to_the_hub(client, world):
    def nav(page: str) -> str:
        return re.search(r'<nav class="nav".*?</nav>', page, re.S).group(0)

    anonymous = nav(client.get("/").text)
    assert 'href="/green-branch/list"' in anonymous and 'href="/green-branch"' not in anonymous
    user(world, client, "bank-a", "bank_officer", "bank.officer")
    officer = nav(client.get("/").text)
    assert 'href="/green-branch"' in officer and 'href="/green-branch/list"' not in officer
