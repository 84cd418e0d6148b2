"""Known rows of issue 14's served tables, shared by the API tests and the browser test.

The market-gaps, capacity, couple-journey and vendor-network marts with the columns dbt builds
them with (the network's rows are each test's own), the
two champion-scored prediction tables with the DDL the scoring assets use, and one London
photographer's rows in each (its two months of market gaps, its capacity, its market's journey
cells, its couples' budgets and its bookings' expected review scores). Each test adds the rows
of its second supplier, so a supplier's key is seen to read only its own.
"""

from __future__ import annotations

import psycopg

from ml.couple_predictions import COUPLE_BUDGET_DDL, REVIEW_SCORE_DDL

ISSUE14_MARTS_DDL = (
    """
create table marts.market_gaps (
    wedding_month date, vendor_type text, region text, is_peak_season boolean,
    bank_holiday_weekends integer, suppliers bigint, saturday_places bigint,
    saturday_bookings bigint, free_saturday_places bigint, saturday_fill_rate numeric(6, 4),
    full_supplier_dates bigint, enquiries bigint, couples bigint, bookings bigint,
    no_room_enquiries numeric(12, 2), no_room_share numeric(6, 4), unmet_couples numeric(12, 2),
    unmet_share numeric(6, 4), unmet_rank integer, holiday_weekend_enquiries bigint,
    holiday_weekend_no_room_share numeric(6, 4));
create table marts.supplier_capacity (
    supplier_id text, vendor_type text, region text, weddings_per_date integer,
    as_of_date date, last_season_start date, next_season_start date,
    last_season_saturdays bigint, last_season_saturday_bookings bigint,
    last_season_fill_rate numeric(6, 4), next_season_saturdays bigint,
    next_season_saturday_bookings bigint, next_season_fill_rate numeric(6, 4),
    next_season_open_saturdays bigint, busiest_saturdays date[],
    open_busiest_saturdays date[], open_bank_holiday_saturdays date[]);
create table marts.couple_journey (
    dimension text, band text, band_from integer, vendor_type text, region text,
    suppliers bigint, couples bigint, bookings bigint, rated_bookings bigint,
    mean_review_score numeric, review_score_ci_low numeric, review_score_ci_high numeric,
    upper_price_band_bookings bigint, upper_price_band_share numeric,
    upper_price_band_ci_low numeric, upper_price_band_ci_high numeric,
    mean_booking_value_gbp numeric, booking_value_ci_low_gbp numeric,
    booking_value_ci_high_gbp numeric, horizon_days integer, settled_bookings bigint,
    mean_days_to_booking numeric, days_to_booking_ci_low numeric,
    days_to_booking_ci_high numeric);
create table marts.vendor_network (
    supplier_id text not null, vendor_type text, region text, partner_id text not null,
    partner_business_name text, partner_vendor_type text, partner_region text,
    couples bigint not null, co_booked_couples bigint, followed_couples bigint,
    follow_rate numeric(6, 4), follow_rate_low numeric(6, 4), follow_rate_high numeric(6, 4),
    base_rate numeric(8, 6), lift numeric(10, 2), lift_low numeric(10, 2),
    lift_high numeric(10, 2), is_predicted_referral boolean not null);
"""
    + COUPLE_BUDGET_DDL
    + REVIEW_SCORE_DDL
)

# London photographers: two months of gaps, the photographer's capacity, two budget bands,
# the market overall and photographers nationally.
PHOTOGRAPHER_ROWS = """
insert into marts.market_gaps values
    ('2027-05-01', 'photographer', 'london', true, 2, 6, 30, 12, 18, 0.4, 3, 80, 60, 20,
     4.5, 0.0563, 2.1, 0.035, 2, 9, 0.2),
    ('2027-08-01', 'photographer', 'london', true, 1, 6, 24, 20, 4, 0.8333, 9, 120, 90, 22,
     14.25, 0.1188, 8.4, 0.0933, 1, 5, 0.3);
insert into marts.supplier_capacity values
    (%(photographer)s, 'photographer', 'london', 2, '2026-11-30', '2026-04-01', '2027-04-01',
     26, 31, 0.5962, 26, 9, 0.1731, 19, '{2027-08-07,2027-06-12}', '{2027-06-12}',
     '{2027-05-29}');
insert into marts.couple_journey values
    ('budget', '20000-39999', 20000, 'photographer', 'london', 6, 30, 30, 28, 4.4, 4.1, 4.7,
     12, 0.4, 0.2459, 0.5774, 2400, 2100, 2700, 365, 20, 35.5, 28.1, 42.9),
    ('budget', '0-9999', 0, 'photographer', 'london', 5, 20, 20, 18, 4.2, 3.8, 4.6,
     2, 0.1, 0.0279, 0.3010, 1300, 1100, 1500, 365, 15, 30.2, 22.0, 38.4),
    ('all', 'all', null, 'photographer', 'london', 7, 55, 60, 52, 4.3, 4.1, 4.5,
     16, 0.2667, 0.1714, 0.3897, 1900, 1700, 2100, 365, 40, 33.0, 28.0, 38.0),
    ('all', 'all', null, 'photographer', 'all', 40, 300, 320, 300, 4.35, 4.25, 4.45,
     90, 0.2813, 0.2347, 0.3330, 2000, 1900, 2100, 365, 250, 38.2, 35.0, 41.4);
"""

# The budget champion is a model (v2, boosted trees); the review-score champion is the prior
# the gate kept (v1). The photographer's three couples (£18,000, £24,000, £30,000) and two
# bookings; one couple and one booking of the other supplier.
PREDICTION_ROWS = """
insert into predictions.couple_budget values
    ('cpl_000101', %(photographer)s, '2026-10-01', 18000, '2', 'gradient_boosting', false,
     '2026-11-30 06:00+00'),
    ('cpl_000102', %(photographer)s, '2026-11-02', 24000, '2', 'gradient_boosting', false,
     '2026-11-30 06:00+00'),
    ('cpl_000103', %(photographer)s, '2026-09-15', 30000, '2', 'gradient_boosting', false,
     '2026-11-30 06:00+00'),
    ('cpl_000201', %(other)s, '2026-11-20', 60000, '2', 'gradient_boosting', false,
     '2026-11-30 06:00+00');
insert into predictions.review_score values
    ('bkg_0000101', %(photographer)s, '2027-06-12', 4.31, 0.86, '1', 'prior', true,
     '2026-11-30 06:05+00'),
    ('bkg_0000102', %(photographer)s, null, 4.31, 0.86, '1', 'prior', true,
     '2026-11-30 06:05+00'),
    ('bkg_0000201', %(other)s, '2027-06-19', 4.31, 0.86, '1', 'prior', true,
     '2026-11-30 06:05+00');
"""


def create_issue14_tables(conn: psycopg.Connection, photographer: str, other: str) -> None:
    """Create the tables and write the photographer's rows and the other supplier's
    predictions (the caller writes that supplier's mart rows, which differ per test)."""
    conn.execute(ISSUE14_MARTS_DDL)
    # Several statements with parameters: bound client-side.
    psycopg.ClientCursor(conn).execute(
        PHOTOGRAPHER_ROWS + PREDICTION_ROWS, {"photographer": photographer, "other": other}
    )
