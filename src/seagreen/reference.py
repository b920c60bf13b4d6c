"""The shipped reference data that ``seagreen init`` loads into a database.

Each capability registers a loader here when it lands (behaviour catalogue, blue catalogue,
methodologies). A loader is idempotent: running ``init`` again changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from seagreen.branches import service as branches
from seagreen.carbon_account import service as carbon_account
from seagreen.carbon_account.service import standing as carbon_standing
from seagreen.registry import service as registry
from seagreen.taxonomy import service as taxonomy

ReferenceLoader = Callable[[Session], str]

LOADERS: tuple[ReferenceLoader, ...] = (
    carbon_account.load_shipped,
    taxonomy.load_shipped,
    branches.load_shipped,
    registry.load_shipped,
    carbon_standing.load_shipped_grades,
)


def load_reference_data(session: Session) -> list[str]:
    """Run every registered loader; return one line of what each loaded."""
    return [loader(session) for loader in LOADERS]
