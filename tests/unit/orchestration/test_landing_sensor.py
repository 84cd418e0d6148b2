"""Which nights the landing sensor asks to load: landed, unloaded, gaps, in date order."""

import datetime as dt

from orchestration.defs.ingestion.sensors import nights_to_load

NIGHTS = [dt.date(2026, 3, 27) + dt.timedelta(days=n) for n in range(5)]  # 27th .. 31st (BST 29th)


def test_landed_nights_not_yet_loaded_are_requested_in_date_order() -> None:
    landed = {NIGHTS[2]: 7, NIGHTS[0]: 5, NIGHTS[1]: 6}  # arrived out of order
    requested = nights_to_load(landed, loaded={NIGHTS[0]}, valid=NIGHTS)
    assert [(n.export_date, n.landed) for n in requested] == [(NIGHTS[1], True), (NIGHTS[2], True)]


def test_a_gap_between_landed_nights_is_requested_as_missing_and_again_once_it_lands() -> None:
    landed = {NIGHTS[0]: 1, NIGHTS[2]: 3}
    (gap,) = [n for n in nights_to_load(landed, loaded={NIGHTS[0]}, valid=NIGHTS) if not n.landed]
    assert gap.export_date == NIGHTS[1] and gap.run_key.endswith("@missing")

    late = nights_to_load({**landed, NIGHTS[1]: 9}, loaded={NIGHTS[0], NIGHTS[2]}, valid=NIGHTS)
    assert [(n.export_date, n.run_key, n.landed) for n in late] == [
        (NIGHTS[1], f"{NIGHTS[1]}@9", True)
    ]


def test_a_redelivered_night_gets_a_new_run_key_and_future_nights_are_ignored() -> None:
    first = nights_to_load({NIGHTS[0]: 1}, loaded=set(), valid=NIGHTS)
    again = nights_to_load({NIGHTS[0]: 2}, loaded=set(), valid=NIGHTS)
    assert first[0].run_key != again[0].run_key
    future = NIGHTS[-1] + dt.timedelta(days=1)
    assert nights_to_load({future: 1}, loaded=set(), valid=NIGHTS) == []


def test_a_far_behind_deployment_catches_up_a_bounded_number_of_nights_per_tick() -> None:
    landed = {night: 1 for night in NIGHTS}
    assert len(nights_to_load(landed, loaded=set(), valid=NIGHTS, limit=2)) == 2
