"""The registry's methodologies, as versioned pure code (see ``base``)."""

from __future__ import annotations

from seagreen.registry.domain.methodologies.aquaculture import AlgaeCsc, ShellfishCsc
from seagreen.registry.domain.methodologies.base import Methodology, MethodologyInfo, ProjectKind
from seagreen.registry.domain.methodologies.seagrass import SeagrassRestoration
from seagreen.registry.errors import MethodologyNotFound

METHODOLOGIES: tuple[Methodology, ...] = (SeagrassRestoration(), ShellfishCsc(), AlgaeCsc())


def find_methodology(code: str, version: str | None = None) -> Methodology:
    """The methodology ``code`` at ``version`` (default: its latest version)."""
    found = [m for m in METHODOLOGIES if m.code == code and (version is None or m.version == version)]
    if not found:
        known = ", ".join(sorted({m.code for m in METHODOLOGIES}))
        what = f"{code} version {version}" if version else code
        raise MethodologyNotFound(f"no methodology {what!r}; known: {known}", code=code)
    return max(found, key=lambda m: tuple(int(part) for part in m.version.split(".")))


def latest_methodologies() -> list[MethodologyInfo]:
    codes = sorted({m.code for m in METHODOLOGIES}, key=[m.code for m in METHODOLOGIES].index)
    return [MethodologyInfo.of(find_methodology(code)) for code in codes]


__all__ = [
    "METHODOLOGIES",
    "AlgaeCsc",
    "Methodology",
    "MethodologyInfo",
    "ProjectKind",
    "SeagrassRestoration",
    "ShellfishCsc",
    "find_methodology",
    "latest_methodologies",
]
