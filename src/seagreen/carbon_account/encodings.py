"""Which text encoding a partner's or operator's file uses: UTF-8 (with or without BOM) or GB18030.

Chinese spreadsheets are still often saved as GBK/GB2312; GB18030 is a superset of both, so one
codec reads them all. Plain ASCII is the same in every one of these, so nothing is decided until
the first non-ASCII bytes.
"""

from __future__ import annotations

import codecs

from seagreen.carbon_account.errors import IntakeFileInvalid

REPLACEMENT = "\ufffd"


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
        text = codecs.getincrementaldecoder("utf-8")("replace").decode(sample, final=False)
        bad = text.count(REPLACEMENT)
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
