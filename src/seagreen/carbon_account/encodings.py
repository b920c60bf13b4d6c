"""Which text encoding a partner's or operator's file uses: UTF-8 (with or without BOM) or GB18030.

Chinese spreadsheets are still often saved as GBK/GB2312; GB18030 is a superset of both, so one
codec reads them all. Plain ASCII is the same in every one of these, so nothing is decided until
the first non-ASCII bytes.
"""

from __future__ import annotations

import codecs

from seagreen.carbon_account.errors import IntakeFileInvalid

UNDECODABLE = "\ufdd0"
"""What each undecodable byte sequence of a partner's file becomes while it is read (the codec
error handler ``UNDECODABLE_ERRORS``), so that its row can be rejected as ``invalid_encoding``. A
noncharacter: Unicode sets U+FDD0-U+FDEF aside for a program's own use, never for text exchanged,
so a marked row is one whose bytes did not decode. A U+FFFD in a file is text like any other
(often left by an earlier system's conversion) and is kept, as the API keeps it."""
UNDECODABLE_ERRORS = "seagreen-undecodable"


def _mark_undecodable(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return UNDECODABLE, error.end


codecs.register_error(UNDECODABLE_ERRORS, _mark_undecodable)


def detect_encoding(sample: bytes) -> str | None:
    """``utf-8-sig`` after a BOM; ``None`` while the sample is plain ASCII (nothing to tell yet);
    ``utf-8`` if the sample is strict UTF-8 (a character cut at its end is allowed), or nearly so
    (a few corrupt bytes in UTF-8 text); else GB18030.

    GBK text read as UTF-8 fails on most of its characters, while UTF-8 text with a damaged
    byte fails only there, so "at least three good non-ASCII characters per bad sequence" tells
    them apart; the bad bytes then make their own rows errors instead of the whole file mojibake.
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.isascii():
        return None
    try:
        codecs.getincrementaldecoder("utf-8")("strict").decode(sample, final=False)
    except UnicodeDecodeError:
        text = codecs.getincrementaldecoder("utf-8")(UNDECODABLE_ERRORS).decode(sample, final=False)
        bad = text.count(UNDECODABLE)
        good = sum(1 for char in text if char > "\x7f") - bad
        return "utf-8" if good >= 3 * bad else "gb18030"
    return "utf-8"


def decode_text(data: bytes) -> str:
    """A whole small text file (a catalogue, a list): UTF-8, UTF-8 with BOM, or GB18030."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise IntakeFileInvalid("the file is neither UTF-8 nor GB18030 text")
