"""The done-when flow through the API, with API keys: an owner registers the seagrass project, the
authority reviews, notices and files it, credits are issued, a bank buys some and retires them
for a named branch, and anyone verifies the certificate. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import json
from datetime import date, timedelta

import pytest

from seagreen.identity.domain import OrgKind
from seagreen.kit.clock import utcnow
from seagreen.registry import service
from seagreen.registry.service import projects as project_service
from seagreen.registry.signing import PublicKey, verify_text
from tests.factories.identity import bearer, make_api_key, make_org
from tests.factories.registry import Cast, filed_project, issued, oyster_inputs, project_body, seagrass_inputs


@pytest.fixture()
def keys(session):
    owner = make_org(session, OrgKind.PROJECT_OWNER)
    authority = make_org(session, OrgKind.AUTHORITY)
    bank = make_org(session, OrgKind.BANK)
    branch = make_org(session, OrgKind.BANK_BRANCH, parent=bank.code)
    buyer = make_org(session, OrgKind.BUYER)
    found = {
        "owner": make_api_key(session, ("project_owner",), org=owner),
        "authority": make_api_key(session, ("authority_reviewer",), org=authority),
        "bank": make_api_key(session, ("bank_officer",), org=bank),
        "buyer": make_api_key(session, ("buyer",), org=buyer),
        "orgs": {"owner": owner.code, "bank": bank.code, "branch": branch.code, "buyer": buyer.code},
    }
    service.load_shipped(session)
    session.commit()
    return found


PROJECT = {
    "name_zh": "荣成天鹅湖海草床修复（接口测试）",
    "methodology": "seagrass-restoration",
    "location": "山东省荣成市天鹅湖",
    "latitude": "37.35",
    "longitude": "122.57",
    "area_mu": "200",
    "crediting_start": "2021-01-01",
    "crediting_end": "2040-12-31",
}


def as_json_floats(inputs: dict) -> dict:
    """The inputs as a client would send them: numbers as JSON numbers."""
    text = json.dumps(inputs, default=str)
    return json.loads(text, parse_float=float, parse_constant=float)


def test_the_whole_flow_through_the_api(client, keys, monkeypatch):
    owner, authority, bank = bearer(keys["owner"]), bearer(keys["authority"]), bearer(keys["bank"])
    orgs = keys["orgs"]

    created = client.post("/api/v1/registry/projects", json=PROJECT, headers=owner)
    assert created.status_code == 201, created.text
    code = created.json()["code"]
    assert created.json()["area_ha"] == "13.3333"
    assert client.get(f"/api/v1/registry/projects/{code}").status_code == 404  # a draft is private
    assert client.get(f"/api/v1/registry/projects/{code}", headers=owner).status_code == 200
    refused = client.post(f"/api/v1/registry/projects/{code}/submit", headers=owner)
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "registry_project_invalid"
    document = client.post(
        f"/api/v1/registry/projects/{code}/documents",
        files={"file": ("项目设计文件.pdf", b"%PDF-1.4 design", "application/pdf")},
        headers=owner,
    )
    assert document.status_code == 201 and len(document.json()["sha256"]) == 64
    assert (
        client.post(f"/api/v1/registry/projects/{code}/submit", headers=owner).json()["state"] == "submitted"
    )
    assert code in {p["code"] for p in client.get("/api/v1/registry/review-queue", headers=authority).json()}

    noticed = client.post(
        f"/api/v1/registry/projects/{code}/review", json={"decision": "start_notice"}, headers=authority
    )
    assert noticed.json()["state"] == "public_notice" and noticed.json()["notice"]["working_days"] == 7
    assert client.get(f"/api/v1/registry/projects/{code}").status_code == 200  # public from now on
    objection = client.post(
        f"/api/v1/registry/projects/{code}/objections",
        json={"text": "请说明修复前的基线"},
        headers=bearer(keys["buyer"]),
    )
    assert objection.status_code == 201
    dismissed = client.post(
        f"/api/v1/registry/projects/{code}/objections/{objection.json()['id']}/resolve",
        json={"decision": "dismiss", "text": "基线为裸露潮滩，见项目文件"},
        headers=authority,
    )
    assert dismissed.json()["status"] == "dismissed"
    early = client.post(f"/api/v1/registry/projects/{code}/file", json={}, headers=authority)
    assert early.status_code == 409 and early.json()["error"]["code"] == "registry_notice_not_over"

    later = utcnow() + timedelta(days=20)
    monkeypatch.setattr(project_service, "utcnow", lambda: later)
    filed = client.post(
        f"/api/v1/registry/projects/{code}/file", json={"buffer_share": "0.10"}, headers=authority
    )
    assert filed.status_code == 200 and filed.json()["state"] == "filed", filed.text

    body = {
        "period_start": "2021-01-01",
        "period_end": "2023-12-31",
        "inputs": as_json_floats(seagrass_inputs()),
    }
    report = client.post(f"/api/v1/registry/projects/{code}/reports", json=body, headers=owner)
    assert report.status_code == 201, report.text
    assert (report.json()["result_tco2e"], report.json()["issuable_t"]) == ("338.700", 338)
    report_id = report.json()["id"]
    assert client.get(f"/api/v1/registry/reports/{report_id}").json()["receipt"]["issuable_t"] == 338
    verified = client.post(
        f"/api/v1/registry/reports/{report_id}/verify",
        json={"verifier": "山东省海洋资源与环境研究院海洋碳汇中心", "statement": "核算无误"},
        headers=authority,
    )
    assert verified.json()["state"] == "verified"
    issuance = client.post(f"/api/v1/registry/reports/{report_id}/issue", headers=authority)
    assert issuance.status_code == 201
    assert (issuance.json()["owner_quantity"], issuance.json()["buffer_quantity"]) == (304, 34)

    deal = {
        "idempotency_key": "rc-2024-001",
        "project": code,
        "to_org": orgs["bank"],
        "quantity": 100,
        "price_yuan_per_t": "60.50",
        "settlement_ref": "网银 20240619-01",
    }
    sold = client.post("/api/v1/registry/transfers", json=deal, headers=owner)
    assert sold.status_code == 200, sold.text
    assert (sold.json()["kind"], sold.json()["amount_yuan"], sold.json()["status"]) == (
        "sale",
        "6050.00",
        "created",
    )
    again = client.post("/api/v1/registry/transfers", json=deal, headers=owner)
    assert again.json()["status"] == "exists" and again.json()["id"] == sold.json()["id"]
    conflict = client.post("/api/v1/registry/transfers", json={**deal, "quantity": 99}, headers=owner)
    assert conflict.status_code == 409 and conflict.json()["error"]["code"] == "registry_operation_conflict"

    retire = {
        "idempotency_key": "rc-branch-2024",
        "project": code,
        "quantity": 40,
        "beneficiary_name": "荣成支行",
        "beneficiary_org": orgs["branch"],
        "purpose": "荣成支行网点 2024 年度运营碳中和",
        "claim_start": "2024-01-01",
        "claim_end": "2024-12-31",
    }
    retired = client.post("/api/v1/registry/retirements", json=retire, headers=bank)
    assert retired.status_code == 200, retired.text
    number = retired.json()["retirement_number"]
    mine = {
        (h["state"], h["quantity"]) for h in client.get("/api/v1/registry/holdings/mine", headers=bank).json()
    }
    assert mine == {("active", 60), ("retired", 40)}

    certificate = client.get(f"/api/v1/registry/certificates/{number}.json")
    assert certificate.status_code == 200
    checked = client.post("/api/v1/registry/certificates/verify", json=certificate.json())
    assert (
        checked.json()["valid"] is True
        and checked.json()["certificate"]["beneficiary"]["org_code"] == orgs["branch"]
    )
    tampered = copy.deepcopy(certificate.json())
    tampered["certificate"]["quantity_tco2e"] = 400
    assert client.post("/api/v1/registry/certificates/verify", json=tampered).json()["valid"] is False
    key = PublicKey.parse(client.get("/api/v1/registry/public-key").json()["public_key_base64"])
    assert verify_text(certificate.content, key).valid  # offline, with the published key alone
    assert client.get(f"/api/v1/registry/certificates/{number}.pdf").content.startswith(b"%PDF-")

    first = issuance.json()["serial_start"]
    serial = client.get(f"/api/v1/registry/serials/{first}").json()
    assert (serial["state"], serial["holder"]) == ("retired", orgs["bank"])
    assert [e["kind"] for e in serial["history"]] == ["issuance", "sale", "retirement"]
    overview = client.get("/api/v1/registry/overview").json()
    assert overview["totals"]["retired"] >= 40 and number in {r["number"] for r in overview["retirements"]}
    assert (
        client.get("/api/v1/registry/prices", params={"project": code}).json()[0]["price_yuan_per_t"]
        == "60.50"
    )
    assert client.get("/api/v1/registry/consistency", headers=authority).json()["ok"] is True


def test_many_operations_in_one_call_are_all_or_nothing(client, session, keys):
    orgs = keys["orgs"]
    authority = make_org(session, OrgKind.AUTHORITY).code
    cast = Cast(
        owner=orgs["owner"],
        authority=authority,
        bank=orgs["bank"],
        other_bank=orgs["buyer"],
        branch=orgs["branch"],
        buyer=orgs["buyer"],
    )
    code = filed_project(session, cast, project_body("shellfish-csc", crediting_start=date(2023, 1, 1)))
    issued(session, cast, code, oyster_inputs(), (date(2023, 1, 1), date(2023, 12, 31)))
    session.commit()
    owner = bearer(keys["owner"])
    batch = {
        "transfers": [
            {"idempotency_key": f"b{n}", "project": code, "to_org": orgs["buyer"], "quantity": 2}
            for n in range(3)
        ],
        "retirements": [
            {
                "idempotency_key": "r0",
                "project": code,
                "quantity": 1,
                "beneficiary_name": "业主",
                "purpose": "自身运营碳中和",
            }
        ],
    }
    results = client.post("/api/v1/registry/operations", json=batch, headers=owner)
    assert results.status_code == 200, results.text
    assert [r["kind"] for r in results.json()] == ["transfer", "transfer", "transfer", "retirement"]
    too_much = {
        "transfers": [
            {"idempotency_key": "x1", "project": code, "to_org": orgs["buyer"], "quantity": 1},
            {"idempotency_key": "x2", "project": code, "to_org": orgs["buyer"], "quantity": 500},
        ]
    }
    refused = client.post("/api/v1/registry/operations", json=too_much, headers=owner)
    assert refused.status_code == 409 and refused.json()["error"]["details"]["index"] == 1
    held = {
        h["quantity"]
        for h in client.get("/api/v1/registry/holdings/mine", headers=bearer(keys["buyer"])).json()
    }
    assert held == {6}  # the refused batch moved nothing
    reversal = client.post(
        f"/api/v1/registry/projects/{code}/reversals",
        json={"quantity": 2, "reason": "台风", "idempotency_key": "typhoon-1"},
        headers=bearer(make_api_key(session, ("authority_reviewer",))),
    )
    assert reversal.status_code == 200 and reversal.json()["kind"] == "reversal"


def test_bad_inputs_are_refused_naming_each_field(client, keys):
    result = client.post(
        "/api/v1/registry/calculate",
        json={
            "methodology": "shellfish-csc",
            "inputs": {"culture": "non-fed", "harvests": [{"species": "oyster", "fresh_weight_t": -3}]},
        },
        headers=bearer(keys["owner"]),
    )
    assert result.status_code == 422
    assert result.json()["error"]["details"]["errors"] == [
        {"field": "harvests[0].fresh_weight_t", "reason": "must not be negative (got -3)"}
    ]
    wrong = client.post(
        "/api/v1/registry/projects", json={**PROJECT, "area_ha": "13"}, headers=bearer(keys["owner"])
    )
    assert wrong.status_code == 422 and "one of them" in wrong.text


def test_the_calculator_returns_the_receipt_keys(client, keys):
    result = client.post(
        "/api/v1/registry/calculate",
        json={"methodology": "seagrass-restoration", "inputs": as_json_floats(seagrass_inputs())},
        headers=bearer(keys["owner"]),
    )
    body = result.json()
    assert (
        body["result_tco2e"] == "338.700"
        and body["methodology_version"] == "1.0.0"
        and len(body["inputs_sha256"]) == 64
    )


def test_methodologies_and_parameter_sets_are_public(client, keys):
    codes = {m["code"] for m in client.get("/api/v1/registry/methodologies").json()}
    assert codes == {"seagrass-restoration", "shellfish-csc", "algae-csc"}
    params = client.get("/api/v1/registry/parameter-sets/bivalve-algae-sun2020").json()
    oyster = next(s for s in params["species"] if s["key"] == "oyster")
    assert oyster["coefficients"]["dry_wet_ratio"] == "0.6510" and oyster["mark"] == "verified"


def test_a_public_projects_record_and_documents_are_public(client, session):
    from tests.factories.registry import make_cast, noticed_project

    cast = make_cast(session)
    code = noticed_project(session, cast)
    session.commit()
    record = client.get(f"/api/v1/registry/projects/{code}/record").json()
    assert [e["to_state"] for e in record["events"]] == ["draft", "draft", "submitted", "public_notice"]
    [document] = record["documents"]
    found = client.get(f"/api/v1/registry/projects/{code}/documents/{document['id']}")
    assert found.status_code == 200 and found.content == b"%PDF-1.4 test"
    assert "filename*=UTF-8''pdd.pdf" in found.headers["content-disposition"]
