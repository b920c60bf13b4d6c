"""The issue's done-when, in a phone-sized headless Chromium against the demo data:

a bank applies for a branch, the three authorities approve, the branch appears on the public list
with its certificate, the clock moves past 31 March of the next year without a report, the branch
becomes overdue and is revoked, the bank appeals, and the authorities decide; every step is in the
audit log.

Moving the clock: the server is built with a clock object of the test's (``app.state.clock``, the
only way the platform reads the time in this module), so the test moves the time for the server
itself, and then the operator runs the scheduled job from the operations page in the browser, as
an operator would after an outage. No endpoint accepts a time from a caller, so production cannot
be moved this way; ``seagreen branches tick --now`` does the same from the command line.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
import uvicorn

from seagreen.app import create_app
from seagreen.config import Settings
from seagreen.db.engine import make_engine, make_session_factory
from seagreen.db.migrate import upgrade
from seagreen.db.uow import unit_of_work
from seagreen.demo.flows import load_demo
from seagreen.kit.clock import LOCAL_TZ
from seagreen.kit.keys import load_keys
from seagreen.kit.storage import store_from_settings
from seagreen.reference import load_reference_data
from tests.factories.branches import GOOD_FORM, NARRATIVE, pdf_bytes

pytestmark = pytest.mark.slow

START = datetime(2026, 5, 12, 10, 0, tzinfo=LOCAL_TZ)
AFTER_31_MARCH = datetime(2027, 4, 1, 9, 30, tzinfo=LOCAL_TZ)
AUTHORITY_USERS = ("bureau.reviewer", "pbc.reviewer", "nfra.reviewer")  # the bureau leads the annual review


@dataclass
class MovableClock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


@dataclass(frozen=True)
class GreenServer:
    url: str
    passwords: dict[str, str]
    clock: MovableClock
    mail_log: Path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def green_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GreenServer]:
    folder = tmp_path_factory.mktemp("green")
    settings = Settings(
        database_url=f"sqlite:///{folder / 'live.db'}",
        key_file=folder / "keys.json",
        upload_dir=folder / "uploads",
        mail_log_file=folder / "mail.log",
    )
    engine = make_engine(settings.database_url)
    upgrade(engine)
    clock = MovableClock(START)
    with unit_of_work(make_session_factory(engine)) as session:
        load_reference_data(session)
        report = load_demo(
            session,
            load_keys(settings),
            now=clock(),
            residents=40,
            days=7,
            store=store_from_settings(settings),
        )
    engine.dispose()
    app = create_app(settings)
    app.state.clock = clock
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=_free_port(), log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield GreenServer(f"http://127.0.0.1:{port}", dict(report.credentials), clock, folder / "mail.log")
    server.should_exit = True
    thread.join(timeout=10)


class Phone:
    """One person's phone: a browser context of its own, signed in as them."""

    def __init__(self, browser, server: GreenServer, username: str | None) -> None:
        self.server = server
        self.context = browser.new_context(
            viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, accept_downloads=True
        )
        self.page = self.context.new_page()
        if username is not None:
            self.page.goto(f"{server.url}/login?next=/green-branch")
            self.page.fill("input[name=username]", username)
            self.page.fill("input[name=password]", server.passwords[username])
            self.page.locator("form.stack button[type=submit]").click()
            self.page.wait_for_url("**/green-branch")

    def open(self, path: str) -> None:
        self.page.goto(self.server.url + path)
        self.fits()

    def fits(self) -> None:
        assert self.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), self.page.url

    def text(self) -> str:
        return self.page.locator("main").inner_text()

    def close(self) -> None:
        self.context.close()


def _fill_the_form(page, tmp_path: Path) -> None:
    page.select_option("select[name=branch]", "wh-commercial-bank-wd")
    page.fill("input[name=contact_name]", "文登支行绿色金融部")
    page.fill("input[name=contact_phone]", "0631-8450000")
    page.fill("input[name=contact_email]", "green.wendeng@example.com")
    page.fill("textarea[name=narrative]", NARRATIVE)
    for key, value in GOOD_FORM.items():
        if isinstance(value, list):
            for option in value:
                page.check(f"input[name='f.{key}'][value='{option}']")
        elif value in ("yes", "no"):
            page.select_option(f"select[name='f.{key}']", value)
        else:
            page.fill(f"input[name='f.{key}']", value)
    materials = tmp_path / "绿色金融工作情况报告.pdf"
    materials.write_bytes(pdf_bytes("文登支行"))
    page.set_input_files("input[type=file][name=documents]", str(materials))


def test_a_branch_from_application_to_appeal_in_the_browser(browser, green_server, tmp_path):
    server = green_server

    # A bank applies for its Wendeng branch with the one form, from the hub.
    bank = Phone(browser, server, "whcb.officer")
    bank.fits()
    bank.page.locator("a.button", has_text="为支行申报").first.click()
    bank.page.wait_for_url("**/green-branch/apply?round=*")
    bank.fits()
    _fill_the_form(bank.page, tmp_path)
    bank.page.click("button[name=action][value=submit]")
    bank.page.wait_for_url("**/green-branch/applications/*?done=submitted")
    bank.fits()
    application_path = bank.page.url.split(server.url, 1)[1].split("?")[0]
    assert "已提交，等待三方审核" in bank.text() and "100 / 100" in bank.text()

    # Each authority reviews as itself, from its queue, with a reason.
    for username in AUTHORITY_USERS:
        reviewer = Phone(browser, server, username)
        reviewer.page.locator(f"a[href='{application_path}']").first.click()
        reviewer.page.wait_for_url(f"**{application_path}")
        reviewer.fits()
        assert "三方评分对照" in reviewer.text()
        review = reviewer.page.locator("form[action$='/review']")
        review.locator("input[name=decision][value=approve]").check()
        review.locator("textarea[name=reason]").fill(f"{username}：指标达标，材料属实，同意认定。")
        review.locator("button[type=submit]").click()
        reviewer.page.wait_for_url("**?done=reviewed")
        reviewer.close()

    bank.open(application_path)
    assert "已认定" in bank.text()
    number = bank.page.locator("a[href^='/green-branch/recognitions/']").first.inner_text()
    assert number.startswith("WHGB-2026-")

    # The branch is on the public list, with its certificate, for anyone.
    public = Phone(browser, server, None)
    public.open("/green-branch/list")
    row = public.page.locator("tr.listed", has_text=number)
    assert "威海市商业银行文登支行" in row.inner_text()
    with public.page.expect_download() as download:
        row.locator("a", has_text="PDF").click()
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")

    # The clock moves past 31 March of the next year; no report came; the job runs.
    server.clock.now = AFTER_31_MARCH
    operator = Phone(browser, server, "operator")
    operator.open("/green-branch/operations")
    operator.page.locator("form[action='/green-branch/operations/tick'] button").click()
    operator.page.wait_for_url("**/green-branch/operations?done=*")
    assert "2027-04-01" in operator.text() and "年度报告逾期" in operator.page.locator("table").inner_text()

    bank.open(f"/green-branch/recognitions/{number}")
    assert "年报逾期" in bank.text() and "逾期未报年度" in bank.text()

    # The lead authority revokes the overdue branch.
    lead = Phone(browser, server, "bureau.reviewer")
    lead.open(f"/green-branch/recognitions/{number}")
    revoke = lead.page.locator("form[action$='/revoke']")
    revoke.locator("textarea[name=reason]").fill("2026 年度运营情况报告逾期未提交。")
    revoke.locator("button[type=submit]").click()
    lead.page.wait_for_url("**?done=revoked")
    assert "已取消（申诉期内）" in lead.text()
    public.open("/green-branch/list")
    assert public.page.locator("tr.listed", has_text=number).count() == 0

    # The bank appeals within the appeal period.
    bank.open(f"/green-branch/recognitions/{number}")
    appeal = bank.page.locator("form[action$='/appeal']")
    appeal.locator("textarea[name=grounds]").fill("年报已于 3 月 28 日以纸质方式报送市金融局，附签收单。")
    appeal.locator("button[type=submit]").click()
    bank.page.wait_for_url("**?done=appealed")
    assert "申诉复核中" in bank.text()

    # The three authorities re-investigate and decide: the revocation stands, the plaque is withdrawn.
    for username in AUTHORITY_USERS:
        reviewer = lead if username == "bureau.reviewer" else Phone(browser, server, username)
        reviewer.open(f"/green-branch/recognitions/{number}")
        finding = reviewer.page.locator("form[action$='/findings']")
        finding.locator("input[name=finding][value=confirm]").check()
        finding.locator("textarea[name=reason]").fill("经核实，无纸质报送签收记录，维持取消。")
        finding.locator("button[type=submit]").click()
        reviewer.page.wait_for_url("**?done=found")
        if reviewer is not lead:
            reviewer.close()
    bank.open(f"/green-branch/recognitions/{number}")
    assert "已摘牌" in bank.text() and "维持取消并摘牌" in bank.text()
    public.open("/green-branch/list")
    assert number in public.page.locator("tr.delisted").first.inner_text()
    assert public.page.request.get(f"{server.url}/green-branch/list/{number}/certificate.pdf").status == 410

    # Every step is in the audit log, with who did it and why.
    lead.open(f"/audit?object_type=branch_recognition&object_id={number}")
    recognition_log = lead.page.locator(".audit-table").inner_text()
    for action in (
        "branches.recognition.grant",
        "branches.recognition.overdue",
        "branches.recognition.revoke",
        "branches.appeal.file",
    ):
        assert action in recognition_log, action
    assert recognition_log.count("branches.appeal.confirm") == 3
    assert "2026 年度运营情况报告逾期未提交。" in recognition_log and "纸质方式报送" in recognition_log
    application_id = application_path.rsplit("/", 1)[1]
    lead.open(f"/audit?object_type=branch_application&object_id={application_id}")
    application_log = lead.page.locator(".audit-table").inner_text()
    for action in ("branches.application.create", "branches.application.submit"):
        assert action in application_log, action
    assert application_log.count("branches.review.approve") == 3
    for reviewer_name in ("市金融局审核员", "人行威海审核员", "金融监管分局审核员", "威商银行客户经理"):
        assert reviewer_name in application_log + recognition_log, reviewer_name
    lead.open("/audit?action=branches.document.upload&actor=威商银行客户经理")
    assert "branches.document.upload" in lead.page.locator(".audit-table").inner_text()
    lead.close()
    bank.close()
    public.close()

    # The job runs again and the bank's contact has been told at each step (the demo's mail goes to a log).
    operator.open("/green-branch/operations")
    operator.page.locator("form[action='/green-branch/operations/tick'] button").click()
    operator.page.wait_for_url("**/green-branch/operations?done=*")
    operator.close()
    mail = server.mail_log.read_text(encoding="utf-8")
    for subject in ("绿色支行认定通过", "年度报告逾期", "绿色支行资质已取消", "申诉复核结果：取消资质并摘牌"):
        assert subject in mail, subject
    assert "green.wendeng@example.com" in mail
