"""The shipped Weihai v1 catalogue: complete, sourced, and a commuter earns meaningful points."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from seagreen.carbon_account import service
from seagreen.carbon_account.domain import (
    Dimension,
    FactorStatus,
    Methodology,
    MethodologyVersion,
    PartnerKind,
    account,
    check_event,
)


def shipped() -> MethodologyVersion:
    (entry,) = service.shipped_versions()
    behaviours = service.read_catalogue_file(entry.file)
    return MethodologyVersion(
        entry.code, entry.name, entry.effective_from, entry.g_per_point, {b.code: b for b in behaviours}
    )


def test_ships_29_behaviours_across_the_daily_scenes():
    version = shipped()
    assert version.code == "weihai-v1"
    assert len(version.behaviours) == 29
    dimensions = Counter(b.dimension for b in version.behaviours.values())
    assert set(dimensions) == set(Dimension)
    kinds = set().union(*(b.partner_kinds for b in version.behaviours.values()))
    assert kinds == set(PartnerKind)


def test_every_factor_has_a_source_and_every_estimate_its_method():
    for behaviour in shipped().behaviours.values():
        assert behaviour.source, behaviour.code
        assert behaviour.partner_kinds, behaviour.code
        if behaviour.factor_status is FactorStatus.ESTIMATE:
            assert len(behaviour.method) > 20, behaviour.code


def test_reference_values_are_carried_over():
    behaviours = shipped().behaviours
    assert behaviours["bus_trip"].factor_g_per_unit == Decimal(100)
    assert behaviours["bus_trip"].factor_status is FactorStatus.ESTIMATE  # marked so in the reference
    assert behaviours["ebus_km"].factor_g_per_unit == Decimal("26.9")
    assert behaviours["online_hospital_booking"].factor_g_per_unit == Decimal(277)
    assert behaviours["mobile_payment"].daily_cap_g == 50  # Ant Forest: 5 g, at most 10 a day


def test_a_weihai_bus_commuter_earns_about_44_points_a_month():
    version = shipped()
    catalogue = Methodology((version,))
    start = datetime(2024, 5, 1, 7, 30, tzinfo=service.LOCAL_TZ)
    events = []
    for working_day in range(22):
        for leg, hour in enumerate((0, 10)):
            moment = start + timedelta(days=working_day, hours=hour)
            raw = {
                "event_id": f"{working_day}-{leg}",
                "resident_ref": "commuter",
                "behaviour": "bus_trip",
                "quantity": "1",
                "occurred_at": moment.isoformat(),
            }
            result = check_event(
                raw, partner_kind="transit", methodology=catalogue, now=datetime(2024, 6, 1, tzinfo=UTC)
            )
            assert result.ok, result.errors
            events.append(result.event)
    commuter = account(events, catalogue).residents["commuter"]
    assert commuter.credited_g == 4_400
    assert commuter.points == 44
