import gc
import threading

from fastapi.testclient import TestClient

from seagreen.app import create_app
from seagreen.db import checkpoints


def test_home_page_lists_capabilities_in_chinese_by_default(settings, session_factory):
    client = TestClient(create_app(settings, session_factory=session_factory))
    response = client.get("/")
    assert response.status_code == 200
    assert "个人碳账户" in response.text
    assert 'lang="zh-CN"' in response.text


def test_language_switch_to_english_sticks_in_a_cookie(settings, session_factory):
    client = TestClient(create_app(settings, session_factory=session_factory))
    first = client.get("/?lang=en")
    assert "Personal carbon account" in first.text
    assert client.cookies.get("sg_lang") == "en"
    assert "Personal carbon account" in client.get("/").text


def test_health_reports_the_database(settings, session_factory):
    client = TestClient(create_app(settings, session_factory=session_factory))
    body = client.get("/api/v1/health").json()
    assert body["status"] == "ok"
    assert body["database"] in {"sqlite", "postgresql"}


def test_unknown_api_path_is_a_json_404(settings, session_factory):
    client = TestClient(create_app(settings, session_factory=session_factory))
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_chinese_stays_the_default_for_an_english_browser(settings, session_factory):
    client = TestClient(create_app(settings, session_factory=session_factory))
    response = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert "个人碳账户" in response.text


def test_start_up_objects_are_kept_out_of_the_cycle_collector_while_serving(settings, session_factory):
    """A served app freezes what start-up made (so that collections during requests walk only
    what requests made), and lets it go again when it stops."""
    assert gc.get_freeze_count() == 0
    with TestClient(create_app(settings, session_factory=session_factory)) as client:
        assert gc.get_freeze_count() > 10_000
        assert client.get("/api/v1/health").status_code in (200, 401)
    assert gc.get_freeze_count() == 0


def test_a_served_app_on_sqlite_copies_the_write_ahead_log_back_from_a_thread_of_its_own(
    settings, session_factory
):
    """So that a request's commit seldom finds the log past ``wal_autocheckpoint`` and copies it back
    itself; the thread ends with the app (none on PostgreSQL)."""

    def checkpointing() -> set[threading.Thread]:
        return {thread for thread in threading.enumerate() if thread.name == checkpoints.THREAD_NAME}

    others = checkpointing()  # another test's app may still be serving
    sqlite = settings.database_url.startswith("sqlite")
    with TestClient(create_app(settings, session_factory=session_factory)) as client:
        ours = checkpointing() - others
        assert len(ours) == (1 if sqlite else 0)
        assert client.get("/api/v1/health").status_code in (200, 401)
    assert not any(thread.is_alive() for thread in ours)
