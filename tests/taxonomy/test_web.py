"""The catalogue pages and API: browse and search, and a bank officer's loan-book round trip."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from seagreen.identity.domain import OrgKind
from tests.factories.identity import bearer, browser_login, form_csrf, make_api_key, make_org, make_user
from tests.factories.taxonomy import loan_book_csv, loan_book_xlsx

pytestmark = pytest.mark.usefixtures("loaded", "cheap_password_hashing")


@pytest.fixture()
def officer(client, session):
    bank = make_org(session, OrgKind.BANK)
    user = make_user(session, ("bank_officer",), org=bank, password="tide-and-seagrass-42")
    session.commit()
    assert browser_login(client, user.username).status_code == 303
    return user


def test_the_tree_page_is_chinese_first_and_marked_as_a_reconstruction(client, officer):
    page = client.get("/catalogue")
    assert page.status_code == 200, page.text[-600:]
    assert "重构稿" in page.text and "海洋生态保护和修复利用" in page.text
    assert "共 85 个三级条目" in page.text
    filtered = client.get("/catalogue", params={"q": "岸电", "tier": "blue"})
    assert "港口岸电设施建设和运营" in filtered.text and "海上风电场建设和运营" not in filtered.text
    english = client.get("/catalogue", params={"lang": "en", "q": "desalination"})
    assert "Seawater desalination plants" in english.text


def test_an_item_page_shows_its_mapping_codes_and_light_blue_warning(client, officer):
    page = client.get("/catalogue/items/1.4.2")
    assert page.status_code == 200
    assert "贝藻碳汇渔业" in page.text and "不计入" in page.text
    assert client.get("/catalogue/items/9.9.9").status_code == 404


def test_a_bank_officer_uploads_a_loan_book_sees_the_result_and_downloads_it(client, officer):
    form = client.get("/catalogue/identify")
    assert form.status_code == 200
    response = client.post(
        "/catalogue/books",
        data={"csrf": form_csrf(form.text)},
        files={"file": ("台账.xlsx", loan_book_xlsx(), "application/octet-stream")},
        follow_redirects=False,
    )
    assert response.status_code == 303
    result = client.get(response.headers["location"])
    assert result.status_code == 200
    assert "海上风电场建设和运营" in result.text and "1200000.00" in result.text
    assert "重构稿" in result.text
    download = client.get(response.headers["location"] + "/download", params={"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(download.content))["识别结果"]
    header = [cell.value for cell in next(sheet.iter_rows(max_row=1))]
    assert {"decision", "level1_zh", "evidence", "branch"} <= set(header)
    csv_file = client.get(response.headers["location"] + "/download", params={"format": "csv"})
    assert "L004" in csv_file.content.decode("utf-8-sig")
    single = client.get("/catalogue/identify", params={"text": "海岛海水淡化站运营", "industry": "4630"})
    assert "蓝色" in single.text and "6.1.1" in single.text


def test_a_bad_upload_shows_the_reason(client, officer):
    form = client.get("/catalogue/identify")
    response = client.post(
        "/catalogue/books",
        data={"csrf": form_csrf(form.text)},
        files={"file": ("x.csv", b"id,purpose\n1,a\n", "text/csv")},
    )
    assert response.status_code == 422 and "text" in response.text


def test_the_api_identifies_a_text_with_evidence(client, session):
    key = make_api_key(session, ("bank_officer",))
    session.commit()
    response = client.post(
        "/api/v1/taxonomy/classify",
        json={"text": "桑沟湾海带与牡蛎多营养层次综合养殖", "industry_code": "0411", "location": "荣成"},
        headers=bearer(key),
    )
    body = response.json()
    assert body["decision"] == "light-blue" and body["national_green"] is False
    assert body["reconstruction"] is True and body["catalogue_version"] == "weihai-blue-r1"
    assert body["candidates"][0]["industry_code_match"] == "0411"
    assert "多营养层次" in body["candidates"][0]["matched_keywords"]
    excluded = client.post(
        "/api/v1/taxonomy/classify", json={"text": "海砂开采项目"}, headers=bearer(key)
    ).json()
    assert excluded["decision"] == "not-blue" and excluded["exclusions"][0]["code"] == "sea_sand"


def test_the_api_lists_searches_and_uploads(client, session):
    key = make_api_key(session, ("bank_officer",))
    session.commit()
    tree = client.get("/api/v1/taxonomy/items", headers=bearer(key)).json()
    assert len(tree["items"]) == 85 and tree["reconstruction"] is True
    found = client.get("/api/v1/taxonomy/items", params={"industry": "4630"}, headers=bearer(key)).json()
    assert [item["code"] for item in found["items"]] == ["6.1.1"]
    assert client.get("/api/v1/taxonomy/items/6.1.1", headers=bearer(key)).json()["national_green"] is True
    upload = client.post(
        "/api/v1/taxonomy/books", files={"file": ("b.csv", loan_book_csv(), "text/csv")}, headers=bearer(key)
    )
    assert upload.status_code == 200 and upload.json()["blue"] == 2
    batch_id = upload.json()["id"]
    assert client.get(f"/api/v1/taxonomy/books/{batch_id}", headers=bearer(key)).json()["rows"] == 7
    other = make_api_key(session, ("bank_officer",))
    session.commit()
    assert client.get(f"/api/v1/taxonomy/books/{batch_id}", headers=bearer(other)).status_code == 404
