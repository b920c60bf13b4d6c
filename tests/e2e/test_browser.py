"""What a person sees on a phone: Chinese first, nothing wider than the screen, sign-in works."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_home_page_is_chinese_and_fits_a_phone(phone, live_server):
    phone.goto(live_server.url + "/")
    assert phone.locator("h2").first.inner_text() == "个人碳账户"
    assert fits_the_screen(phone)
    phone.get_by_role("link", name="English").click()
    assert phone.locator("h2").first.inner_text() == "Personal carbon account"
    phone.goto(live_server.url + "/")
    assert phone.locator("h2").first.inner_text() == "Personal carbon account", "the choice is remembered"


def test_a_reviewer_signs_in_on_a_phone_and_verifies_the_ledger(phone, live_server):
    phone.goto(live_server.url + "/ledger")
    assert "/login" in phone.url, "an unsigned visitor is sent to sign in"
    phone.fill("input[name=username]", "pbc.reviewer")
    phone.fill("input[name=password]", live_server.passwords["pbc.reviewer"])
    phone.locator("form.stack button[type=submit]").click()
    phone.wait_for_url("**/ledger")
    phone.get_by_role("button", name="立即校验").click()
    assert "校验通过" in phone.locator(".flash").inner_text()
    assert fits_the_screen(phone)


def test_a_wrong_password_is_refused_without_saying_why(phone, live_server):
    phone.goto(live_server.url + "/login")
    phone.fill("input[name=username]", "pbc.reviewer")
    phone.fill("input[name=password]", "not-the-password")
    phone.locator("form.stack button[type=submit]").click()
    alert = phone.get_by_role("alert").inner_text()
    assert alert and "pbc.reviewer" not in alert
