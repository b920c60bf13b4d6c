from __future__ import annotations

import pytest

from tests.factories.branches import World, make_world


@pytest.fixture()
def world(session, tmp_path) -> World:
    return make_world(session, tmp_path)
