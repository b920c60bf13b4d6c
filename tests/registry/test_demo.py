"""The demo registry: the Rongcheng seagrass project issued at the published 338.7 t, sold to local
banks and retired for their branches; an oyster project; loaded once."""

from __future__ import annotations

import json

from seagreen.demo.flows import load_registry_demo
from seagreen.identity import service as identity
from seagreen.identity.domain import OrgKind
from seagreen.kit.keys import load_keys
from seagreen.registry import service
from seagreen.registry.signing import verify_text
from tests.factories.identity import TEST_ACTOR

DEMO_ORGS = [
    ("rongcheng-seagrass", OrgKind.PROJECT_OWNER),
    ("rushan-oyster", OrgKind.PROJECT_OWNER),
    ("wh-ecology-bureau", OrgKind.AUTHORITY),
    ("wh-commercial-bank", OrgKind.BANK),
    ("rongcheng-rural-bank", OrgKind.BANK),
    ("abc-weihai", OrgKind.BANK),
    ("wh-port-group", OrgKind.BUYER),
]


def test_the_demo_registry_tells_the_rongcheng_story_and_loads_once(session, settings):
    for code, kind in DEMO_ORGS:
        identity.ensure_org(session, code=code, kind=kind, name_zh=code, actor=TEST_ACTOR)
    identity.ensure_org(
        session,
        code="wh-commercial-bank-rc",
        kind=OrgKind.BANK_BRANCH,
        name_zh="荣成支行",
        parent_code="wh-commercial-bank",
        actor=TEST_ACTOR,
    )
    keys = load_keys(settings)
    report = load_registry_demo(session, keys)
    assert (report.projects_created, report.issued_t, report.retirements) == (2, 338 + 421, 4)
    seagrass = next(p for p in service.public_projects(session) if p.owner_org == "rongcheng-seagrass")
    assert seagrass.state == "filed" and seagrass.area_mu == "200"
    [issuance] = service.issuances(session, seagrass.code)
    assert (
        issuance.quantity == 338 and issuance.vintage_start.year == 2021 and issuance.vintage_end.year == 2023
    )
    [report_row] = service.project_reports(session, seagrass.code)
    assert report_row.result_tco2e == "338.700"
    retired = {r.beneficiary_name: r for r in service.retirements(session, project_code=seagrass.code)}
    branch = retired["威海市商业银行荣成支行"]
    assert branch.beneficiary_org == "wh-commercial-bank-rc" and branch.quantity == 50
    assert verify_text(
        service.certificate_json(session, branch.number), service.signer(keys).public_key
    ).valid
    assert json.loads(service.certificate_json(session, branch.number))["certificate"][
        "retired_at"
    ].startswith("2024-06-20")
    assert service.consistency(session).ok

    again = load_registry_demo(session, keys)
    assert (again.projects_created, again.issued_t) == (0, 0)
