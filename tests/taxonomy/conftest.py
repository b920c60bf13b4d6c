from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from seagreen.app import create_app
from tests.factories.identity import cheap_password_hashing
from tests.factories.taxonomy import load_catalogue

__all__ = ["cheap_password_hashing"]


@pytest.fixture()
def loaded(session) -> None:
    """The shipped reconstruction, loaded as ``seagreen init`` does."""
    load_catalogue(session)


@pytest.fixture()
def client(settings, session_factory) -> Iterator[TestClient]:
    with TestClient(create_app(settings, session_factory=session_factory)) as test_client:
        yield test_client
