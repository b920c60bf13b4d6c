"""Use cases of the personal carbon account, one module per use case:

* ``catalogue`` — the versioned behaviour catalogue (phase 1);
* ``partners`` — data partners, residents' consent, the residents import;
* ``intake`` — what both intake paths share; ``realtime`` — the API; ``bulk`` — files;
* ``points`` — issuing points through the ledger, balances;
* ``overview`` — the operator page's figures.

Entrypoints own the transaction; these functions only ``flush()`` (the bulk ingest takes the
entrypoint's transaction factory and commits one transaction per group of rows through it).
"""

from seagreen.carbon_account.service.bulk import IngestSummary, ingest_file
from seagreen.carbon_account.service.catalogue import (
    LOCAL_TZ,
    SHIPPED_DIR,
    SHIPPED_MANIFEST,
    ShippedVersion,
    catalogue_in_force,
    list_versions,
    load_shipped,
    methodology,
    publish_file,
    publish_version,
    read_catalogue_file,
    shipped_versions,
    version_in_force,
)
from seagreen.carbon_account.service.intake import Catalogue, dedupe_prefix, load_catalogue
from seagreen.carbon_account.service.overview import (
    BehaviourTotal,
    IngestLine,
    Overview,
    known_event_ids,
    overview,
)
from seagreen.carbon_account.service.partners import (
    PartnerCreated,
    PartnerRead,
    ResidentsImport,
    add_partner,
    get_partner,
    grant_consent,
    import_residents,
    list_partners,
    partner_ingests,
    revoke_consent,
    set_consents,
)
from seagreen.carbon_account.service.points import (
    BalanceRead,
    Totals,
    balances,
    settle_everyone,
    settle_points,
    totals,
)
from seagreen.carbon_account.service.realtime import MAX_EVENTS, EventResult, SubmitResult, submit_events

__all__ = [
    "LOCAL_TZ",
    "MAX_EVENTS",
    "SHIPPED_DIR",
    "SHIPPED_MANIFEST",
    "BalanceRead",
    "BehaviourTotal",
    "Catalogue",
    "EventResult",
    "IngestLine",
    "IngestSummary",
    "Overview",
    "PartnerCreated",
    "PartnerRead",
    "ResidentsImport",
    "ShippedVersion",
    "SubmitResult",
    "Totals",
    "add_partner",
    "balances",
    "catalogue_in_force",
    "dedupe_prefix",
    "get_partner",
    "grant_consent",
    "import_residents",
    "ingest_file",
    "known_event_ids",
    "list_partners",
    "list_versions",
    "load_catalogue",
    "load_shipped",
    "methodology",
    "overview",
    "partner_ingests",
    "publish_file",
    "publish_version",
    "read_catalogue_file",
    "revoke_consent",
    "set_consents",
    "settle_everyone",
    "settle_points",
    "shipped_versions",
    "submit_events",
    "totals",
    "version_in_force",
]
