"""Published UK wedding-market figures the simulator is calibrated to, with their sources.

Every number that shapes the simulated market lives here, so a reviewer can check the
simulation against the published figure it claims to follow, and a test can assert it.

Sources (each figure, its source and how the simulator uses it: docs/market-calibration.md):
- Hitched, *National Wedding Survey 2024* (UK, couples married in 2023): average wedding
  cost about £20,700; venue about 45% of spend; Saturday the most popular day.
- Bridebook, *UK Wedding Report 2024*: average spend £20,775, the median far below the mean
  (a right-skewed spend, hence a lognormal); about 80 day guests; May about 13% of weddings;
  venue 43-48% and catering about 28% of spend; venues booked about 13 months ahead,
  photographers and florists 7-9 months ahead.
- ONS, *Marriages in England and Wales: 2023*: Saturday about 42% of weddings, August the top
  month (about 14%), January the quietest (about 3%); ONS *Marriages in England and Wales*
  1995-2013 weekday series: Friday about 17%, Sunday about 4%.
- Met Office 1991-2020 climate normals (`dbt_project/seeds/uk_climate_normals.csv`): rain days
  and mean temperature per region and month, which move outdoor-heavy suppliers' demand and
  conversion.
"""

from __future__ import annotations

import math

# --- The wedding itself --------------------------------------------------------------------

#: Total wedding budget: lognormal with median £16,000 and sigma 0.72, so that the mean is
#: median * exp(sigma^2 / 2) = ~£20,700 (Hitched 2024, Bridebook 2024).
BUDGET_MEDIAN_GBP = 16_000.0
BUDGET_SIGMA = 0.72
BUDGET_MEAN_GBP = BUDGET_MEDIAN_GBP * math.exp(BUDGET_SIGMA**2 / 2)
#: Clean budgets stay inside the platform's accepted range (the quality rule is 1,000..250,000).
BUDGET_MIN_GBP = 1_500.0
BUDGET_MAX_GBP = 240_000.0

#: Guest count: lognormal with median 72 and sigma 0.45, mean ~80 (Hitched 2024); fewer than
#: 1 in 1,000 weddings above 300 guests, none above 600.
GUESTS_MEDIAN = 72.0
GUESTS_SIGMA = 0.45
GUESTS_MEAN = GUESTS_MEDIAN * math.exp(GUESTS_SIGMA**2 / 2)
GUESTS_MIN = 2
GUESTS_MAX = 600

#: Share of weddings per calendar month (ONS 2023: August ~14%, January ~3%; Bridebook 2024:
#: May ~13%); the other months are spread to keep May-September near two thirds.
WEDDING_MONTH_SHARE: dict[int, float] = {
    1: 0.030,
    2: 0.035,
    3: 0.045,
    4: 0.065,
    5: 0.130,
    6: 0.125,
    7: 0.130,
    8: 0.140,
    9: 0.125,
    10: 0.090,
    11: 0.040,
    12: 0.045,
}
PEAK_SEASON_MONTHS = frozenset({5, 6, 7, 8, 9})

#: Share of weddings per weekday (Monday = 0): Saturday ~42% (ONS 2023), Friday ~17% and
#: Sunday ~4% (ONS 1995-2013); Monday-Thursday share the rest, rising towards the weekend.
WEDDING_WEEKDAY_SHARE: dict[int, float] = {
    0: 0.070,
    1: 0.070,
    2: 0.090,
    3: 0.140,
    4: 0.170,
    5: 0.420,
    6: 0.040,
}
SATURDAY = 5

# --- Suppliers -----------------------------------------------------------------------------

#: How a marketplace's supplier base splits by vendor type (photographers are the most numerous).
SUPPLIER_TYPE_SHARE: dict[str, float] = {
    "venue": 0.16,
    "photographer": 0.20,
    "videographer": 0.08,
    "florist": 0.11,
    "caterer": 0.10,
    "band": 0.10,
    "planner": 0.07,
    "cake": 0.09,
    "hair_makeup": 0.09,
}

#: Which vendor types a couple enquires with, weighted by how often couples hire them.
ENQUIRY_TYPE_SHARE: dict[str, float] = {
    "venue": 0.22,
    "photographer": 0.20,
    "videographer": 0.07,
    "florist": 0.10,
    "caterer": 0.10,
    "band": 0.09,
    "planner": 0.05,
    "cake": 0.08,
    "hair_makeup": 0.09,
}

#: Part of the total budget a couple spends with each vendor type when they hire it: venue
#: 45% (Hitched 2024: 43-48%) and catering 28% (Bridebook 2024); the others from the same
#: breakdowns. They sum past 1 because few couples hire every type (and many venues cater).
BUDGET_SHARE: dict[str, float] = {
    "venue": 0.45,
    "photographer": 0.08,
    "videographer": 0.06,
    "florist": 0.04,
    "caterer": 0.28,
    "band": 0.05,
    "planner": 0.08,
    "cake": 0.02,
    "hair_makeup": 0.03,
}

PRICE_BANDS: tuple[str, ...] = ("budget", "mid", "premium", "luxury")
PRICE_BAND_SHARE: dict[str, float] = {"budget": 0.25, "mid": 0.40, "premium": 0.25, "luxury": 0.10}
PRICE_BAND_MULTIPLIER: dict[str, float] = {
    "budget": 0.6,
    "mid": 1.0,
    "premium": 1.7,
    "luxury": 2.8,
}

#: Median months between the enquiry and the wedding (Bridebook 2024): venues ~13 months,
#: photographers and florists 7-9, the others in between.
LEAD_TIME_MONTHS: dict[str, float] = {
    "venue": 13.0,
    "photographer": 8.5,
    "videographer": 9.0,
    "florist": 7.5,
    "caterer": 11.0,
    "band": 10.0,
    "planner": 12.0,
    "cake": 7.5,
    "hair_makeup": 8.0,
}
#: Wide on purpose: some couples book two years ahead, others a few weeks before.
LEAD_TIME_SIGMA = 0.55
LEAD_TIME_MIN_DAYS = 7
#: A wedding is at most four years after its enquiry (the quality rule); 1,450 days is under
#: four calendar years whatever the leap years.
LEAD_TIME_MAX_DAYS = 1_450
DAYS_PER_MONTH = 365.25 / 12

#: Venue capacity (guests): lognormal, median 150, between 60 and 600.
VENUE_CAPACITY_MEDIAN = 150.0
VENUE_CAPACITY_SIGMA = 0.45
VENUE_CAPACITY_MIN = 60
VENUE_CAPACITY_MAX = 600

#: Share of UK weddings by region (ONS / NRS / NISRA marriages, rounded).
REGIONS: tuple[str, ...] = (
    "london",
    "south_east",
    "south_west",
    "east_of_england",
    "east_midlands",
    "west_midlands",
    "yorkshire",
    "north_west",
    "north_east",
    "wales",
    "scotland",
    "northern_ireland",
)
REGION_SHARE: dict[str, float] = {
    "london": 0.13,
    "south_east": 0.14,
    "south_west": 0.10,
    "east_of_england": 0.09,
    "east_midlands": 0.07,
    "west_midlands": 0.08,
    "yorkshire": 0.08,
    "north_west": 0.10,
    "north_east": 0.04,
    "wales": 0.05,
    "scotland": 0.09,
    "northern_ireland": 0.03,
}

# --- Marketplace behaviour (platform assumptions, not published figures) ---------------------

CHANNELS: tuple[str, ...] = ("search", "featured_listing", "referral", "social", "wedding_fair")
CHANNEL_SHARE: dict[str, float] = {
    "search": 0.45,
    "featured_listing": 0.20,
    "referral": 0.12,
    "social": 0.15,
    "wedding_fair": 0.08,
}
#: Enquiries per couple: 1 + Poisson(3), so about four suppliers asked per couple.
EXTRA_ENQUIRIES_PER_COUPLE = 3.0
#: Share of a couple's enquiries that go to suppliers in their own region.
LOCAL_ENQUIRY_SHARE = 0.75
#: Enquiries at scale 1.0 over the whole export history, and suppliers at scale 1.0.
ENQUIRIES_AT_SCALE_ONE = 70_000
SUPPLIERS_AT_SCALE_ONE = 600
MIN_SUPPLIERS = 30
#: Share of suppliers already on the platform before the first export.
SUPPLIERS_BEFORE_START_SHARE = 0.55

#: Suppliers answer ~92% of enquiries; response hours lognormal with median 5 h.
RESPONSE_RATE = 0.92
RESPONSE_HOURS_MEDIAN = 5.0
RESPONSE_HOURS_SIGMA = 1.1

#: Booking after the enquiry: 1..55 days (never 60), median about two weeks.
BOOKING_LAG_MIN_DAYS = 1
BOOKING_LAG_MAX_DAYS = 55
CANCELLATION_RATE = 0.05
DEPOSIT_SHARE = 0.25
BALANCE_DUE_DAYS_BEFORE_WEDDING = 30
#: Share of couples paying the balance late, in the wedding's last week: they leave weddings of
#: the coming fortnight with an unpaid balance (what the wedding-day alert is for).
LATE_BALANCE_SHARE = 0.20
LATE_BALANCE_LAST_DAYS = 7
REVIEW_SHARE = 0.40
REVIEW_DELAY_DAYS = (7, 60)
#: Ratings 1..5, skewed high as on every wedding marketplace.
RATING_SHARE: dict[int, float] = {1: 0.03, 2: 0.04, 3: 0.08, 4: 0.25, 5: 0.60}

# --- Scarcity, choice and weather (platform assumptions, see docs/market-calibration.md) ----

#: Weddings one supplier can serve on one date: a venue has one space, a photographer shoots
#: one wedding unless it has a second shooter; caterers, florists and cake makers run teams.
WEDDINGS_PER_DATE: dict[str, int] = {
    "venue": 1,
    "photographer": 1,
    "videographer": 1,
    "florist": 3,
    "caterer": 3,
    "band": 1,
    "planner": 2,
    "cake": 5,
    "hair_makeup": 2,
}
#: Share of photographers with a second shooter (two weddings on one date).
SECOND_SHOOTER_SHARE = 0.35
#: Each supplier's true price response: the slope of its booking log-odds on
#: log(couple's budget share / its price) is `propensity.BUDGET_FIT` x lognormal(0, this).
PRICE_RESPONSE_SIGMA = 0.35
#: How strongly couples enquire with suppliers whose price fits their budget: the weight of a
#: supplier falls as exp(-0.5 (log fit / this)^2).
PRICE_FIT_SIGMA = 0.6
#: Vendor types whose day depends on the weather (outdoor ceremonies, photos, flowers).
OUTDOOR_TYPES: tuple[str, ...] = ("venue", "photographer", "videographer", "florist")
#: Per unit of the fair-weather index (`weather.fair_weather`): outdoor types' share of a
#: couple's enquiries (log weight) and their booking log-odds.
WEATHER_DEMAND = 0.25
WEATHER_CONVERSION = 0.3
#: Per standard deviation of a supplier's reputation: couples' pull towards it (log weight)
#: and its booking log-odds.
QUALITY_CHOICE = 0.3
QUALITY_CONVERSION = 0.2
