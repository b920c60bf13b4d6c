"""Browser tests: a real SeaGreen server on a free local port, driven by headless Chromium.

They need Debian's ``chromium`` (``.ci/run`` installs it) and the ``playwright`` package; on a
machine without them they are skipped, so ``make test`` still runs everywhere.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

from seagreen.app import create_app
from seagreen.config import Settings
from seagreen.db.engine import make_engine, make_session_factory
from seagreen.db.migrate import upgrade
from seagreen.db.uow import unit_of_work
from seagreen.demo.flows import load_demo
from seagreen.kit.keys import load_keys
from seagreen.reference import load_reference_data

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
if not Path(CHROMIUM).exists():
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)


@dataclass(frozen=True)
class LiveServer:
    url: str
    passwords: dict[str, str]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """SeaGreen on SQLite with the demo data, served by uvicorn in a background thread."""
    folder = tmp_path_factory.mktemp("live")
    settings = Settings(database_url=f"sqlite:///{folder / 'live.db'}", key_file=folder / "keys.json")
    engine = make_engine(settings.database_url)
    upgrade(engine)
    with unit_of_work(make_session_factory(engine)) as session:
        load_reference_data(session)
        report = load_demo(session, load_keys(settings), residents=40, days=7)
    engine.dispose()

    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield LiveServer(f"http://127.0.0.1:{port}", dict(report.credentials))
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture()
def phone(browser) -> Iterator[object]:
    """A page the size of a common phone screen, with a phone's touch input."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, accept_downloads=True
    )
    page = context.new_page()
    yield page
    context.close()
