"""Use cases of green sub-branch recognition (绿色支行认定), by use case: indicator sets, rounds,
applications and their documents, joint review, recognitions and the public list, annual reports,
revocation and appeals, notices, and the scheduled job.

Entrypoints own the transaction; these only ``flush()``. Every function that changes something
takes the ``now`` it acts at (the scheduled job and tests move it) and records the change in the
audit log.
"""

from seagreen.branches.service.access import branches_of, organisations, viewer_for
from seagreen.branches.service.appeals import file_appeal, record_finding, revoke_overdue
from seagreen.branches.service.applications import (
    attach_documents,
    create_application,
    get_application,
    list_applications,
    save_application,
    submit_application,
    withdraw_application,
)
from seagreen.branches.service.documents import (
    Attachments,
    Upload,
    accepted_extensions,
    check_upload,
    read_document,
)
from seagreen.branches.service.indicators import (
    SHIPPED_DIR,
    indicator_set,
    list_sets,
    load_file,
    load_shipped,
    read_set,
    store_set,
)
from seagreen.branches.service.notices import count_pending, deliver, list_notices
from seagreen.branches.service.policy import policy_from_settings
from seagreen.branches.service.recognitions import (
    certificate_pdf,
    get_recognition,
    list_recognitions,
    public_list,
)
from seagreen.branches.service.reports import decide_report, submit_report
from seagreen.branches.service.reviews import review_application, review_queue, score_sheet
from seagreen.branches.service.rounds import accepting_rounds, get_round, list_rounds, open_round
from seagreen.branches.service.ticking import tick

__all__ = [
    "SHIPPED_DIR",
    "Attachments",
    "Upload",
    "accepted_extensions",
    "accepting_rounds",
    "attach_documents",
    "branches_of",
    "certificate_pdf",
    "check_upload",
    "count_pending",
    "create_application",
    "decide_report",
    "deliver",
    "file_appeal",
    "get_application",
    "get_recognition",
    "get_round",
    "indicator_set",
    "list_applications",
    "list_notices",
    "list_recognitions",
    "list_rounds",
    "list_sets",
    "load_file",
    "load_shipped",
    "open_round",
    "organisations",
    "policy_from_settings",
    "public_list",
    "read_document",
    "read_set",
    "record_finding",
    "review_application",
    "review_queue",
    "revoke_overdue",
    "save_application",
    "score_sheet",
    "store_set",
    "submit_application",
    "submit_report",
    "tick",
    "viewer_for",
    "withdraw_application",
]
