"""A settlement transfer's memo is written by a template (``points.memo_template``): it must be
byte for byte the canonical JSON the ledger hashes (``canonical_json_bytes``) of the memo's dict,
or a settlement retried through the ledger's engine would find its own transfers different."""

from __future__ import annotations

from types import SimpleNamespace

from hypothesis import example, given
from hypothesis import strategies as st

from seagreen.carbon_account.service import points
from seagreen.ledger.domain import canonical_json_bytes

COUNTS = st.integers(0, 2**62)


@example(hashes={"v1%d": "", 'q"%s': ""}, ingest=None, first=1, last=2, credited=3, before=4, after=5)
@given(
    hashes=st.dictionaries(st.text(min_size=1, max_size=70), st.text(max_size=5), max_size=3),
    ingest=st.one_of(st.none(), COUNTS),
    first=COUNTS,
    last=COUNTS,
    credited=COUNTS,
    before=COUNTS,
    after=COUNTS,
)
def test_the_template_writes_the_memos_canonical_json(hashes, ingest, first, last, credited, before, after):
    catalogue = SimpleNamespace(hashes=hashes)  # the memo names the versions by their content hashes
    memo = points.points_memo(
        catalogue,  # type: ignore[arg-type]
        ingest,
        first_batch=first,
        last_batch=last,
        credited_g=credited,
        points_before=before,
        points_after=after,
    )
    template = points.memo_template(catalogue, ingest)  # type: ignore[arg-type]
    assert template % (first, last, credited, after, before) == canonical_json_bytes(memo)
