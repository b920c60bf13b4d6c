"""On phones: a project owner registers a seagrass project like Rongcheng's, the authority notices
and files it, the monitoring report is verified and issued, a bank buys some credits and retires
them for its Rongcheng branch, and someone with no account verifies the certificate."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest

from seagreen.kit.clock import utcnow
from seagreen.registry.service import projects as project_service
from seagreen.registry.service.methodologies import DEMO_DIR

pytestmark = pytest.mark.slow

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "accept_downloads": True,
}


@contextmanager
def person(browser, live_server, username: str | None = None) -> Iterator[object]:
    """A phone of its own for each person (its own cookies), signed in as ``username``."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    if username:
        page.goto(f"{live_server.url}/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", live_server.passwords[username])
        page.locator("form.stack button[type=submit]").click()
        page.wait_for_url(f"{live_server.url}/")
    try:
        yield page
    finally:
        context.close()


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_seagrass_project_from_registration_to_a_verified_retirement(
    browser, live_server, monkeypatch, tmp_path
):
    url = live_server.url
    document = tmp_path / "项目设计文件.pdf"
    document.write_bytes(b"%PDF-1.4 project design document (test)")
    inputs = json.loads((DEMO_DIR / "rongcheng-seagrass-2021-2023.json").read_text(encoding="utf-8"))

    with person(browser, live_server, "seagrass.owner") as owner:
        owner.goto(f"{url}/registry/projects/new")
        owner.fill("input[name=name_zh]", "荣成天鹅湖海草床二期（浏览器测试）")
        owner.select_option("select[name=methodology]", "seagrass-restoration")
        owner.fill("input[name=location]", "山东省荣成市天鹅湖")
        owner.fill("input[name=area]", "200")
        owner.select_option("select[name=area_unit]", "mu")
        owner.fill("input[name=crediting_start]", "2021-01-01")
        owner.fill("input[name=crediting_end]", "2040-12-31")
        owner.set_input_files("input[name=document]", str(document))
        assert fits_the_screen(owner)
        owner.locator("#project-form button[type=submit]").click()
        owner.wait_for_url("**/registry/projects/P*")
        project_url = owner.url
        code = project_url.rsplit("/", 1)[1]
        assert "草稿" in owner.content() and "200 亩" in owner.content()
        owner.locator("#submit-form button").click()
        owner.wait_for_load_state()
        assert "已提交，待审核" in owner.content()

    with person(browser, live_server, "ecology.reviewer") as authority:
        authority.goto(f"{url}/registry/review")
        authority.get_by_role("link", name=code).first.click()
        authority.select_option("#review-form select[name=decision]", "start_notice")
        authority.locator("#review-form button").click()
        authority.wait_for_load_state()
        assert "公示中" in authority.content() and "个工作日" in authority.content()
        later = utcnow() + timedelta(days=20)  # the 7 working days of the notice have passed
        monkeypatch.setattr(project_service, "utcnow", lambda: later)
        authority.fill("#file-form input[name=buffer_percent]", "10")
        authority.locator("#file-form button").click()
        authority.wait_for_load_state()
        assert "已备案" in authority.content()

    with person(browser, live_server, "seagrass.owner") as owner:
        owner.goto(project_url)
        owner.fill("#report-form input[name=period_start]", "2021-01-01")
        owner.fill("#report-form input[name=period_end]", "2023-12-31")
        owner.fill("#report-form textarea[name=inputs]", json.dumps(inputs, ensure_ascii=False))
        owner.locator("#report-form button").click()
        owner.wait_for_url("**/registry/reports/*")
        report_url = owner.url
        assert owner.locator("#result").inner_text() == "338.700"
        assert owner.locator("#issuable").inner_text() == "338"
        assert fits_the_screen(owner)

    with person(browser, live_server, "ecology.reviewer") as authority:
        authority.goto(report_url)
        authority.fill("#verify-form input[name=verifier]", "山东省海洋资源与环境研究院海洋碳汇中心")
        authority.fill("#verify-form textarea[name=statement]", "复核无误")
        authority.locator("#verify-form button").click()
        authority.wait_for_load_state()
        authority.locator("#issue-form button").click()
        authority.wait_for_url(f"{project_url}*")
        assert f"SGWH-{code}-20210101-20231231-" in authority.content()

    with person(browser, live_server, "seagrass.owner") as owner:
        owner.goto(f"{url}/registry/mine")
        owner.select_option("#transfer-form select[name=project]", code)
        owner.fill("#transfer-form input[name=to_org]", "wh-commercial-bank")
        owner.fill("#transfer-form input[name=quantity]", "60")
        owner.fill("#transfer-form input[name=price_yuan_per_t]", "60")
        owner.locator("#transfer-form button").click()
        owner.wait_for_url(f"{url}/registry/mine")

    with person(browser, live_server, "whcb.officer") as bank:
        bank.goto(f"{url}/registry/mine")
        assert code in bank.content()
        bank.select_option("#retire-form select[name=project]", code)
        bank.fill("#retire-form input[name=quantity]", "20")
        bank.fill("#retire-form input[name=beneficiary_name]", "威海市商业银行荣成支行")
        bank.fill("#retire-form input[name=beneficiary_org]", "wh-commercial-bank-rc")
        bank.fill("#retire-form input[name=purpose]", "荣成支行网点 2025 年度运营碳中和")
        bank.locator("#retire-form button").click()
        bank.wait_for_url("**/registry/retirements/*")
        certificate_url = bank.url
        assert "签名有效" in bank.locator("#signature-check").inner_text()
        assert fits_the_screen(bank)

    with person(browser, live_server) as anyone:
        anyone.goto(certificate_url)
        assert "威海市商业银行荣成支行" in anyone.content()
        with anyone.expect_download() as download:
            anyone.locator("#download-json").click()
        saved = tmp_path / "certificate.json"
        download.value.save_as(saved)
        anyone.goto(f"{url}/registry/verify")
        anyone.set_input_files("input[name=file]", str(saved))
        anyone.locator("form.stack button[type=submit]").click()
        anyone.wait_for_load_state()
        assert "签名有效" in anyone.locator("#verification").inner_text()
        tampered = tmp_path / "tampered.json"
        tampered.write_text(
            saved.read_text(encoding="utf-8").replace('"quantity_tco2e":20', '"quantity_tco2e":200'),
            encoding="utf-8",
        )
        anyone.set_input_files("input[name=file]", str(tampered))
        anyone.locator("form.stack button[type=submit]").click()
        anyone.wait_for_load_state()
        assert "签名无效" in anyone.locator("#verification").inner_text()
        anyone.goto(f"{url}/registry")
        assert code in anyone.content() and fits_the_screen(anyone)
