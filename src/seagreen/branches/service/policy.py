"""The deployment's recognition policy, from settings (entrypoints build it and pass it in)."""

from __future__ import annotations

from seagreen.branches.domain import Policy
from seagreen.config import Settings


def policy_from_settings(settings: Settings) -> Policy:
    return Policy(
        authorities=tuple(settings.branches_authorities),
        lead_authority=settings.branches_lead_authority,
        appeal_days=settings.branches_appeal_days,
        reminder_days=tuple(settings.branches_reminder_days),
        number_prefix=settings.branches_number_prefix,
        more_info_days=settings.branches_more_info_days,
    )
