from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from seagreen.app import create_app
from tests.factories.identity import cheap_password_hashing

__all__ = ["cheap_password_hashing", "client", "fast_passwords"]


@pytest.fixture(autouse=True)
def fast_passwords(cheap_password_hashing: None) -> None:
    """Every identity test hashes passwords cheaply (one test checks the real costs)."""


@pytest.fixture()
def client(settings, session_factory) -> Iterator[TestClient]:
    with TestClient(create_app(settings, session_factory=session_factory)) as test_client:
        yield test_client
