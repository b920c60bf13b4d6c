"""A bank officer classifies a loan book on a phone and downloads the result with evidence."""

from __future__ import annotations

import csv
import io

import pytest

pytestmark = pytest.mark.slow

LOAN_BOOK = """id,text,industry_code,amount
L1,乳山牡蛎养殖场养殖尾水生态净化处理设施建设,0411,500000000
L4,荣成海带养殖合作社购置深水抗风浪网箱,0411,300000000
L2,威海港区围填海造地工程,,800000000
L3,海上风电场风机基础施工,4415,1200000000
"""


def sign_in(page, url: str, username: str, password: str, next_path: str) -> None:
    page.goto(f"{url}{next_path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_url(f"**{next_path}")


def test_a_bank_officer_uploads_a_loan_book_and_downloads_the_result(phone, live_server, tmp_path):
    book = tmp_path / "loans.csv"
    book.write_text(LOAN_BOOK, encoding="utf-8")
    sign_in(
        phone, live_server.url, "whcb.officer", live_server.passwords["whcb.officer"], "/catalogue/identify"
    )
    phone.set_input_files("input[type=file][name=file]", str(book))
    phone.locator("form[action='/catalogue/books'] button[type=submit]").click()
    phone.wait_for_url("**/catalogue/books/*")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    with phone.expect_download() as download:
        phone.locator("a[href$='format=csv']").click()
    rows = {
        row["id"]: row for row in csv.DictReader(io.StringIO(download.value.path().read_text("utf-8-sig")))
    }
    assert rows["L1"]["decision"] == "blue" and rows["L1"]["evidence"]
    assert rows["L2"]["decision"] == "not-blue", "reclamation is excluded however marine it sounds"
    assert rows["L3"]["decision"] == "blue"
    assert rows["L4"]["decision"] == "light-blue", "deep-sea farming equipment is a light-blue extension"
