"""All SQL of the personal carbon account, one module per use case; the catalogue's is re-exported."""

from seagreen.carbon_account.repository.catalogue import (
    PUBLISH_LOCK_KEY,
    all_versions,
    catalogue_ids,
    catalogue_signature,
    insert_version,
    latest_effective_from,
    lock_publishing,
    version_count,
    version_rows,
)

__all__ = [
    "PUBLISH_LOCK_KEY",
    "all_versions",
    "catalogue_ids",
    "catalogue_signature",
    "insert_version",
    "latest_effective_from",
    "lock_publishing",
    "version_count",
    "version_rows",
]
