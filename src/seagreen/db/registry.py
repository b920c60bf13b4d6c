"""Imports every module's ORM models so that ``metadata`` knows all tables (for Alembic and tests)."""

from __future__ import annotations

import importlib

MODEL_MODULES = (
    "seagreen.ledger.models",
    "seagreen.identity.models",
    "seagreen.audit.models",
    "seagreen.carbon_account.models",
    "seagreen.taxonomy.models",
    "seagreen.branches.models",
    "seagreen.registry.models",
    "seagreen.carbon_account.lifecycle_models",
    "seagreen.benefits.models",
    "seagreen.residents.models",
    "seagreen.statistics.models",
)


def load_all_models() -> None:
    for name in MODEL_MODULES:
        importlib.import_module(name)
