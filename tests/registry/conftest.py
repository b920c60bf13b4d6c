from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from seagreen.app import create_app
from tests.factories.identity import cheap_password_hashing
from tests.factories.registry import Cast, make_cast

__all__ = ["cheap_password_hashing"]


@pytest.fixture()
def cast(session) -> Cast:
    return make_cast(session)


@pytest.fixture()
def client(settings, session_factory) -> Iterator[TestClient]:
    with TestClient(create_app(settings, session_factory=session_factory)) as test_client:
        yield test_client
