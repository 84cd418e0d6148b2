"""The couple's earlier enquiries and bookings of a vendor type: the dbt feature and the API's
lookup agree for the same enquiry, and neither changes when later events are added."""

from __future__ import annotations

import pandas as pd
import psycopg
import pytest

from ml.online_features import COUPLE_HISTORY_SQL
from tests.integration.dbt.built_marts import compiled_select, dbt_build, perturbed, read_frame
from tests.integration.dbt.conftest import LoadedWarehouse

FEATURES = ["couple_prior_enquiries", "couple_booked_vendor_type"]
#: Enquiries checked one by one against the API's lookup.
SAMPLE = 300


@pytest.fixture(scope="module")
def built(loaded_warehouse: LoadedWarehouse) -> pd.DataFrame:
    """Every enquiry's dbt features with its couple, vendor type and time."""
    dbt_build(loaded_warehouse.database_url, "+ml_booking_features")
    return read_frame(
        loaded_warehouse.database_url,
        "select f.enquiry_id, f.couple_id, f.vendor_type, e.created_at, "
        "f.couple_prior_enquiries, f.couple_booked_vendor_type "
        "from features.ml_booking_features f join marts.fct_enquiries e using (enquiry_id) "
        "order by f.enquiry_id",
    )


def _sample(built: pd.DataFrame) -> pd.DataFrame:
    """Enquiries with a history of each kind, and some without."""
    with_history = built[built["couple_prior_enquiries"] > 0]
    booked = built[built["couple_booked_vendor_type"]]
    without = built[built["couple_prior_enquiries"] == 0]
    assert len(with_history) and len(booked) and len(without), "the world has no history"
    parts = [frame.head(SAMPLE // 3) for frame in (with_history, booked, without)]
    return pd.concat(parts).drop_duplicates("enquiry_id")


def _online(conn: psycopg.Connection, enquiries: pd.DataFrame) -> list[tuple[int, bool]]:
    """The API's lookup for each enquiry, as of its own time."""
    return [
        tuple(
            conn.execute(
                COUPLE_HISTORY_SQL,
                {"couple_id": row.couple_id, "vendor_type": row.vendor_type, "at": row.created_at},
            ).fetchone()
            or ()
        )
        for row in enquiries.itertuples(index=False)
    ]


def test_the_online_lookup_equals_the_dbt_feature(
    built: pd.DataFrame, loaded_warehouse: LoadedWarehouse
) -> None:
    sample = _sample(built)
    with psycopg.connect(loaded_warehouse.database_url) as conn:
        online = _online(conn, sample)
    expected = list(sample[FEATURES].itertuples(index=False, name=None))
    assert online == expected


#: Each sampled couple sends another enquiry of the type and books it, a minute and a month
#: after the last thing it did for the type: after every enquiry sampled, so none may count.
LATER_EVENTS = """
insert into features.ml_couple_history (couple_id, vendor_type, event, happened_at)
select couple_id, vendor_type, event, last_event + later
from (
    select couple_id, vendor_type, max(happened_at) as last_event
    from features.ml_couple_history
    where (couple_id, vendor_type) in (
        select couple_id, vendor_type from marts.fct_enquiries where enquiry_id = any(%s)
    )
    group by couple_id, vendor_type
) as couples
cross join (values ('enquiry'), ('booking')) as events (event)
cross join (values (interval '1 minute'), (interval '30 days')) as lags (later)
"""


def test_later_enquiries_and_bookings_change_no_earlier_feature(
    built: pd.DataFrame, loaded_warehouse: LoadedWarehouse
) -> None:
    sample = _sample(built)
    select = compiled_select(loaded_warehouse.database_url, "ml_booking_features")
    ids = sample["enquiry_id"].tolist()
    change = LATER_EVENTS.replace("%s", "array[" + ", ".join(f"'{i}'" for i in ids) + "]")
    with perturbed(loaded_warehouse.database_url, "features.ml_couple_history", change) as conn:
        online = _online(conn, sample)
        cursor = conn.execute(
            f"select enquiry_id, {', '.join(FEATURES)} from ({select}) as features "
            "where enquiry_id = any(%s) order by enquiry_id",
            (ids,),
        )
        rebuilt = pd.DataFrame(cursor.fetchall(), columns=["enquiry_id", *FEATURES])
    expected = sample.sort_values("enquiry_id")[["enquiry_id", *FEATURES]].reset_index(drop=True)
    pd.testing.assert_frame_equal(rebuilt, expected, check_dtype=False)
    assert online == list(sample[FEATURES].itertuples(index=False, name=None))
