"""A resident on a phone: signs in with phone number and one-time code, looks at each of the six
views and the authorisations, redeems a benefit, sees the voucher and the new balance."""

from __future__ import annotations

import logging
import re

import pytest

from seagreen.demo.residents import DEMO_PHONE
from seagreen.residents.service.login import LOG

pytestmark = pytest.mark.slow


class Codes(logging.Handler):
    """Reads the codes the development sender writes to the server's log."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())

    def last(self) -> str:
        found = re.findall(r": (\d{6}) \(valid", "\n".join(self.lines))
        assert found, self.lines
        return found[-1]


@pytest.fixture()
def codes():
    handler = Codes()
    logger = logging.getLogger(LOG)
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def balance(page) -> int:
    return int(page.get_by_test_id("balance").inner_text().replace(",", ""))


def test_a_resident_signs_in_looks_at_every_view_and_redeems_a_benefit(phone, live_server, codes):
    phone.goto(live_server.url + "/me")
    assert "/login" in phone.url  # a resident page sends a stranger to sign in
    phone.goto(live_server.url + "/me/login")
    assert phone.locator("h1").inner_text() == "居民登录"
    phone.fill("input[name=phone]", DEMO_PHONE)
    phone.get_by_role("button", name="获取验证码").click()
    assert "138****8000" in phone.locator(".flash").inner_text()
    assert "终端" in phone.locator(".hint").inner_text()  # where the demo's code appears
    phone.fill("input[name=code]", codes.last())
    phone.get_by_role("button", name="登录").click()
    phone.wait_for_url(live_server.url + "/me")
    before = balance(phone)
    assert before > 0
    assert fits_the_screen(phone)

    views = {
        "/me/records": "按数据来源",
        "/me/reductions": "累计计入减排",
        "/me/points": "积分收支",
        "/me/vouchers": "兑换记录与券",
        "/me/ranking": "排名与成就",
        "/me/grade": "等级与金融优惠",
        "/me/authorisations": "数据授权",
    }
    for path, text in views.items():
        phone.goto(live_server.url + path)
        assert text in phone.content(), path
        assert fits_the_screen(phone), path
    phone.goto(live_server.url + "/me/reductions")
    assert phone.locator("svg.chart").count() >= 2  # the charts are drawn, by the app itself
    phone.goto(live_server.url + "/me/points")
    assert "过期" in phone.locator(".flows").inner_text()

    phone.get_by_role("link", name="权益商城").click()
    phone.wait_for_url("**/me/mall")
    phone.locator("a[href='/me/mall/library-print']").click()
    phone.get_by_role("button", name=re.compile("用 30 积分兑换")).click()
    phone.wait_for_url(re.compile(r".*/me/vouchers/\d+\?new=1"))
    code = phone.get_by_test_id("voucher-code").inner_text()
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-.", code)
    assert "兑换成功" in phone.locator(".flash").inner_text()
    assert fits_the_screen(phone)

    phone.goto(live_server.url + "/me")
    assert balance(phone) == before - 30
    phone.goto(live_server.url + "/me/vouchers")
    assert "图书馆打印复印 20 页" in phone.locator(".cards-list").inner_text()
