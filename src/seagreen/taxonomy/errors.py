"""Errors of the blue industry catalogue and the identification engine."""

from __future__ import annotations

from seagreen.errors import Conflict, DomainError, InvalidInput, NotFound


class TaxonomyError(DomainError):
    code = "taxonomy_error"


class CatalogueFileInvalid(InvalidInput):
    """A catalogue file that breaks the structure; ``details['errors']`` lists each problem by row."""

    code = "taxonomy_catalogue_invalid"


class VersionConflict(Conflict):
    """A version code that exists already, or a shipped version whose content changed."""

    code = "taxonomy_version_conflict"


class VersionNotFound(NotFound):
    code = "taxonomy_version_not_found"


class ItemNotFound(NotFound):
    code = "taxonomy_item_not_found"


class LoanBookInvalid(InvalidInput):
    """A loan-book file that cannot be read at all (format, encoding, missing columns, too large)."""

    code = "taxonomy_loan_book_invalid"


class BatchNotFound(NotFound):
    code = "taxonomy_batch_not_found"


class TextInvalid(InvalidInput):
    code = "taxonomy_text_invalid"
