"""Time: UTC for storage, Asia/Shanghai for what residents and partners call "a day"."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    return datetime.now(UTC)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # made once: building it took most of a conversion


def to_micros(moment: datetime) -> int:
    """Microseconds since the Unix epoch, exact (no float arithmetic)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: give a time zone")
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(micros: int) -> datetime:
    seconds, rest = divmod(micros, 1_000_000)
    return datetime.fromtimestamp(seconds, UTC).replace(microsecond=rest)


def now_micros() -> int:
    return to_micros(utcnow())
