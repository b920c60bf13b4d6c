"""Use cases of the blue industry catalogue, by use case: versions, browse and identify
(``catalogue``), loan books (``books``), the engine's evaluation (``evaluation``).

Entrypoints own the transaction; these only ``flush()``.
"""

from seagreen.taxonomy.service.books import (
    OUTPUT_COLUMNS,
    ClassifiedBook,
    batch_file,
    batch_rows,
    classify_book,
    get_batch,
    recent_batches,
    store_book,
    summary_notes,
)
from seagreen.taxonomy.service.catalogue import (
    EVALUATION_FILE,
    SHIPPED_DIR,
    VersionStatus,
    catalogue,
    classify_text,
    engine_for,
    export,
    import_catalogue,
    import_file,
    item,
    list_versions,
    load_shipped,
    read_catalogue,
    search,
    shipped_versions,
)
from seagreen.taxonomy.service.evaluation import EvaluationReport, evaluate_engine, evaluate_file

__all__ = [
    "EVALUATION_FILE",
    "OUTPUT_COLUMNS",
    "SHIPPED_DIR",
    "ClassifiedBook",
    "EvaluationReport",
    "VersionStatus",
    "batch_file",
    "batch_rows",
    "catalogue",
    "classify_book",
    "classify_text",
    "engine_for",
    "evaluate_engine",
    "evaluate_file",
    "export",
    "get_batch",
    "import_catalogue",
    "import_file",
    "item",
    "list_versions",
    "load_shipped",
    "read_catalogue",
    "recent_batches",
    "search",
    "shipped_versions",
    "store_book",
    "summary_notes",
]
