"""The dashboard end to end in headless Chromium: sign in, see your numbers, watch a live event.

Runs the API as deployed (uvicorn in a subprocess) on a throwaway warehouse whose marts hold
known rows for two suppliers, and Redis db 6. Saves screenshots under `artifacts/`.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import httpx
import psycopg
import pytest
import redis
from playwright.sync_api import Page, expect, sync_playwright

from benchmarks.ingest import wait_until_ready
from tests.issue14_marts import create_issue14_tables
from tests.support import (
    VENDOR_PERFORMANCE_DDL,
    WEDDING_DAY_ALERTS_DDL,
    publish,
    throwaway_database,
)
from wedsync.api_keys import create_api_key
from wedsync.settings import REPO_ROOT, get_settings
from wedsync.warehouse import apply_schema, connect

pytestmark = pytest.mark.integration

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Redis db 6 on whichever server the settings point at (configured or embedded).
REDIS_URL = urlparse(get_settings().redis_url)._replace(path="/6").geturl()
ARTIFACTS = REPO_ROOT / "artifacts"
# Pub/sub channels are shared by every Redis db: ids no other test run publishes for.
PHOTOGRAPHER = f"sup_8{uuid.uuid4().int % 100_000:05d}"  # supplier A: the one who signs in
FLORIST = f"sup_7{uuid.uuid4().int % 100_000:05d}"  # supplier B: never on A's dashboard
UI_TIMEOUT_MS = 15_000
#: How long the phone-width check waits for the charts' redraw: at most 15 s, in 100 ms polls.
PHONE_POLL_MS = 100
PHONE_POLLS = UI_TIMEOUT_MS // PHONE_POLL_MS

# Supplier A: 70 enquiries, 16 bookings (22.9%, Wilson 95% 14.6%-34.0%), £29,500 received,
# £8,250 expected from its open pipeline, and a wedding tomorrow with £1,800 outstanding.
MARTS = (
    VENDOR_PERFORMANCE_DDL
    + WEDDING_DAY_ALERTS_DDL
    + """
create table marts.lead_funnel (
    supplier_id text, month date, profile_views bigint, enquiries bigint, quotes bigint,
    bookings bigint);
insert into marts.vendor_performance values
    ('{photographer}', '2026-05-01', 'photographer', 'london', 'premium', 40, 10, 1, 0.25,
     0.14, 0.40, 3.5, 18500.00, 4.8, 6),
    ('{photographer}', '2026-06-01', 'photographer', 'london', 'premium', 30, 6, 0, 0.2,
     0.10, 0.37, 2.0, 11000.00, null, 0),
    ('{florist}', '2026-05-01', 'florist', 'scotland', 'mid', 500, 200, 3, 0.4,
     0.36, 0.44, 1.0, 90000.00, 4.5, 20);
insert into marts.seasonal_bookings values
    ('2026-05-01', 'photographer', 'london', 400, 90, 0.225, 160000.00),
    ('2026-06-01', 'photographer', 'london', 520, 120, 0.23, 210000.00),
    ('2026-05-01', 'florist', 'scotland', 80, 20, 0.25, 30000.00);
-- Market enquiries by the month they were made (seasonal_bookings above counts by wedding month).
create table marts.seasonal_demand (
    month date, vendor_type text, region text, enquiries bigint, bookings bigint,
    conversion_rate numeric, avg_booking_value_gbp numeric, enquiries_prior_year bigint,
    enquiries_yoy_change numeric, bookings_prior_year bigint, bookings_yoy_change numeric,
    peak_season_share numeric);
insert into marts.seasonal_demand values
    ('2026-05-01', 'photographer', 'london', 300, 70, 0.2333, 1800, null, null, null, null, 0.8),
    ('2026-06-01', 'photographer', 'london', 380, 85, 0.2237, 1850, null, null, null, null, 0.7),
    ('2026-05-01', 'florist', 'scotland', 60, 15, 0.25, 1500, null, null, null, null, 0.9);
insert into marts.wedding_day_alerts values
    ('bkg_0000001', '{photographer}', 'cpl_000010', 'photographer', 'london', '2027-06-12', 1,
     '2027-06-11', 2400, 600, 1800, true, 'guest_count'),
    ('bkg_0000002', '{florist}', 'cpl_000011', 'florist', 'scotland', '2027-06-19', 8,
     '2027-06-11', 900, 900, 0, false, 'wedding_date');
create schema if not exists predictions;
create table predictions.pipeline_value (
    supplier_id text, open_enquiries bigint, expected_bookings numeric,
    expected_revenue_gbp numeric, bookings_low integer, bookings_high integer,
    model_version text, scored_at timestamptz);
insert into predictions.pipeline_value values
    ('{photographer}', 12, 3.4, 8250.00, 1, 6, '1', now()),
    ('{florist}', 40, 10.0, 20000.00, 5, 15, '1', now());
insert into marts.lead_funnel values
    ('{photographer}', '2026-05-01', 900, 40, 25, 10),
    ('{florist}', '2026-05-01', 9000, 500, 400, 200);
"""
)
# Issue 14's tables (tests/issue14_marts.py) hold the London photographer's rows; these are
# the Scottish florist's market gaps, capacity and journey cells.
FLORIST_ISSUE14_ROWS = """
insert into marts.market_gaps values
    ('2027-06-01', 'florist', 'scotland', true, 0, 5, 60, 15, 45, 0.25, 1, 70, 50, 15,
     1, 0.0143, 0.5, 0.01, 1, 0, null);
insert into marts.supplier_capacity values
    (%(florist)s, 'florist', 'scotland', 3, '2026-11-30', '2026-04-01', '2027-04-01',
     26, 70, 0.8974, 26, 30, 0.3846, 20, '{}', '{}', '{}');
insert into marts.couple_journey values
    ('budget', '40000+', 40000, 'florist', 'scotland', 5, 9, 9, 9, 4.8, 4.5, 5.1,
     6, 0.6667, 0.3542, 0.8794, 3100, 2500, 3700, 365, 7, 90.25, 60.5, 120.0),
    ('all', 'all', null, 'florist', 'scotland', 6, 25, 25, 25, 4.7, 4.5, 4.9,
     10, 0.4, 0.2340, 0.5926, 2300, 1900, 2700, 365, 18, 90.25, 70.5, 110.0);
"""

# The vendor network (issue 14): the photographer's two partners, one a referral partner, and
# the florist's one (never on the photographer's dashboard).
NETWORK_ROWS = """
insert into marts.vendor_network values
    ('{photographer}', 'photographer', 'london', 'sup_000010', 'Oak Hall Weddings', 'venue',
     'london', 40, 3, 1, 0.025, 0.0044, 0.1288, 0.02, 1.25, 0.22, 6.44, false),
    ('{photographer}', 'photographer', 'london', 'sup_000011', 'Ivy Lane Films',
     'videographer', 'london', 40, 9, 8, 0.2, 0.105, 0.3466, 0.012, 16.67, 8.75, 28.88, true),
    ('{florist}', 'florist', 'scotland', 'sup_000012', 'Swan Court Cakes', 'cake',
     'scotland', 25, 6, 6, 0.24, 0.115, 0.4338, 0.03, 8, 3.83, 14.46, true);
"""


@dataclass(frozen=True)
class RunningApi:
    base_url: str
    keys: dict[str, str]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def api() -> Iterator[RunningApi]:
    """The API (with the live feed and the dashboard) on uvicorn, over a warehouse with marts."""
    live = redis.Redis.from_url(REDIS_URL)
    live.flushdb()
    with throwaway_database("wedsync_dashboard") as url:
        with connect(url) as conn:
            apply_schema(conn)
            conn.execute(MARTS.format(photographer=PHOTOGRAPHER, florist=FLORIST))
            create_issue14_tables(conn, PHOTOGRAPHER, FLORIST)
            conn.execute(NETWORK_ROWS.format(photographer=PHOTOGRAPHER, florist=FLORIST))
            psycopg.ClientCursor(conn).execute(FLORIST_ISSUE14_ROWS, {"florist": FLORIST})
            publish(conn)
            keys = {
                "platform": create_api_key(conn, None, "platform", "browser test"),
                PHOTOGRAPHER: create_api_key(conn, PHOTOGRAPHER, "professional", "browser test"),
                FLORIST: create_api_key(conn, FLORIST, "professional", "browser test"),
            }
        port = _free_port()
        env = {**os.environ, "WEDSYNC_DATABASE_URL": url, "WEDSYNC_REDIS_URL": REDIS_URL}
        factory = "serving.main:create_app"
        command = [sys.executable, "-m", "uvicorn", "--factory", factory,
                   "--port", str(port), "--log-level", "warning"]  # fmt: skip
        server = subprocess.Popen(command, env=env, cwd=REPO_ROOT)
        try:
            wait_until_ready(port, server)
            yield RunningApi(f"http://127.0.0.1:{port}", keys)
        finally:
            server.terminate()
            server.wait(timeout=30)
    live.flushdb()
    live.close()


def post_event(api: RunningApi, supplier_id: str, event_type: str) -> None:
    """Send one live event for `supplier_id` through the real ingest endpoint, with its key."""
    properties = {"quote_sent": {"amount_gbp": 2400}}.get(event_type, {"guest_count": 120})
    event = {
        "event_id": str(uuid.uuid4()),
        "event_type": event_type,
        "occurred_at": dt.datetime.now(dt.UTC).isoformat(),
        "supplier_id": supplier_id,
        "couple_id": "cpl_000777",
        "properties": properties,
    }
    answer = httpx.post(
        f"{api.base_url}/api/events",
        json=[event],
        headers={"Authorization": f"Bearer {api.keys[supplier_id]}"},
    )
    assert answer.status_code == 202 and answer.json()["accepted"] == 1, answer.text


@pytest.fixture
def page() -> Iterator[Page]:
    """A page in Debian's headless Chromium (Playwright drives it; it downloads no browser)."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            # Reduced motion: the page then draws charts without animating (steady screenshots).
            page = browser.new_page(
                viewport={"width": 1280, "height": 900}, reduced_motion="reduce"
            )
            page.set_default_timeout(UI_TIMEOUT_MS)
            yield page
        finally:
            browser.close()


def sign_in(page: Page, api: RunningApi, key: str) -> None:
    page.goto(api.base_url)
    page.fill("#api-key", key)
    page.click("#sign-in-form button[type=submit]")


def test_supplier_signs_in_sees_its_numbers_and_a_live_enquiry(page: Page, api: RunningApi) -> None:
    refused: list[str] = []
    page.on("response", lambda r: refused.append(r.url) if r.status >= 400 else None)
    sign_in(page, api, api.keys[PHOTOGRAPHER])

    expect(page.locator("#account-name")).to_have_text(PHOTOGRAPHER)
    expect(page.locator("#kpi-enquiries .value")).to_have_text("70")
    expect(page.locator("#kpi-bookings .value")).to_have_text("16")
    expect(page.locator("#kpi-conversion .value")).to_have_text("22.9%")
    expect(page.locator("#kpi-conversion .note")).to_have_text("95% interval 14.6%\u201334.0%")
    expect(page.locator("#kpi-revenue .value")).to_have_text("£29,500")
    expect(page.locator("#funnel-note")).to_contain_text("enquiries → quotes: 62.5%")
    expect(page.locator("#kpi-pipeline .value")).to_have_text("£8,250")
    expect(page.locator("#kpi-pipeline .note")).to_have_text(
        "expected from 12 open enquiries · 90% range 1\u20136 bookings"
    )
    # Yours and the market's enquiries on one axis, both by the month they were made.
    expect(page.locator("#season-note")).to_have_text(
        "Market: photographer in london (enquiries by the month they were made)."
    )
    season = page.evaluate(
        "() => { const chart = Chart.getChart('season-chart');"
        " return [chart.data.datasets[0].data, chart.data.datasets[1].data]; }"
    )
    assert season == [[40, 30], [300, 380]]
    expect(page.locator("#alerts li")).to_have_text(
        ["Wedding 2027-06-12 (tomorrow) · £1,800 outstanding · missing: guest_count"]
    )
    # A supplier's key may not read data quality: the platform card stays hidden, and the
    # dashboard does not ask for it (nor for anything else its key may not read).
    expect(page.locator("#quality-card")).to_be_hidden()
    assert refused == []
    assert page.evaluate("typeof Chart") == "function"  # the vendored Chart.js loaded
    # Signed in by token exchange: the tab keeps a refresh token, never the API key.
    stored = page.evaluate("JSON.stringify(sessionStorage)")
    assert api.keys[PHOTOGRAPHER] not in stored and "wsr_" in stored

    expect(page.locator("#live-state")).to_have_text("live")
    post_event(api, FLORIST, "enquiry_created")
    post_event(api, PHOTOGRAPHER, "enquiry_created")
    expect(page.locator("#live-feed li").first).to_contain_text(f"{PHOTOGRAPHER}: 1 enquiry")
    expect(page.locator("#live-counters")).to_contain_text("enquiries1")
    assert FLORIST not in page.locator("#live-feed").inner_text()
    page.screenshot(path=str(ARTIFACTS / "dashboard-supplier.png"), full_page=True)

    page.set_viewport_size({"width": 390, "height": 844})
    expect(page.locator("#kpi-enquiries .value")).to_be_visible()
    # Chart.js redraws its canvases for the new width on its next animation frame. Polled from
    # here: `wait_for_function` compiles its predicate with eval inside the page, which the
    # dashboard's CSP (script-src 'self') refuses whenever the first check is not yet true.
    for _ in range(PHONE_POLLS):
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if overflow <= 0:
            break
        page.wait_for_timeout(PHONE_POLL_MS)
    else:
        pytest.fail(f"the page stays {overflow}px wider than a 390px phone screen")
    page.screenshot(path=str(ARTIFACTS / "dashboard-phone.png"), full_page=True)


def test_platform_view_adds_data_quality_and_every_supplier(page: Page, api: RunningApi) -> None:
    sign_in(page, api, api.keys["platform"])

    expect(page.locator("#account-name")).to_have_text("WedSync platform (all suppliers)")
    expect(page.locator("#kpi-enquiries .value")).to_have_text("570")
    expect(page.locator("#kpi-pipeline .value")).to_have_text("£28,250")
    # Two suppliers' ranges do not add up to a range: the platform sees the expectation alone.
    expect(page.locator("#kpi-pipeline .note")).to_have_text("expected from 52 open enquiries")
    expect(page.locator("#alerts li")).to_have_count(2)
    expect(page.locator("#quality-card")).to_be_visible()
    expect(page.locator("#quality-note")).to_have_text("No quality checks have run yet.")
    expect(page.locator("#live-state")).to_have_text("live")
    post_event(api, FLORIST, "quote_sent")
    # A platform feed hears every publisher on the Redis server: look for ours among them.
    expect(page.locator("#live-feed li", has_text=f"{FLORIST}: 1 quote")).to_have_count(1)
    page.screenshot(path=str(ARTIFACTS / "dashboard-platform.png"), full_page=True)


def test_an_unknown_key_is_refused_on_the_sign_in_form(page: Page, api: RunningApi) -> None:
    sign_in(page, api, "wsk_000000000000_not-a-key-we-ever-issued")
    expect(page.locator("#sign-in-error")).to_have_text(
        "That key was not accepted (unknown or revoked)."
    )
    expect(page.locator("#dashboard")).to_be_hidden()


def test_market_gaps_and_capacity_panels_show_the_suppliers_own(
    page: Page, api: RunningApi
) -> None:
    sign_in(page, api, api.keys[PHOTOGRAPHER])

    expect(page.locator("#market-gaps-top li")).to_have_text(
        [
            "Aug 2027 · photographer in london: 8.4 couples turned away · 11.9% of 120 enquiries"
            " found no room · 1 bank-holiday weekend",
            "May 2027 · photographer in london: 2.1 couples turned away · 5.6% of 80 enquiries"
            " found no room · 2 bank-holiday weekends",
        ]
    )
    gaps = page.evaluate(
        "() => { const chart = Chart.getChart('market-gaps-chart');"
        " return [chart.data.datasets[0].data, chart.data.datasets[1].data]; }"
    )
    assert gaps == [[2.1, 8.4], [5.6, 11.9]]
    figures = page.locator("#capacity-figures")
    expect(figures).to_contain_text("59.6% of Saturdays filled")
    expect(figures).to_contain_text("17.3% booked so far")
    expect(page.locator("#capacity-busiest")).to_have_text(
        "Busiest Saturdays in london still open: 12 Jun 2027 (1 of the 2 most asked-for)."
    )
    expect(page.locator("#capacity-holidays")).to_have_text(
        "Bank-holiday weekends still open: 29 May 2027."
    )
    assert "scotland" not in page.locator("#market-gaps-card").inner_text()
    page.locator("#capacity-card").screenshot(path=str(ARTIFACTS / "dashboard-capacity.png"))
    page.locator("#market-gaps-card").screenshot(path=str(ARTIFACTS / "dashboard-market-gaps.png"))

    # The platform sees every market and every supplier's Saturdays together.
    page.click("#sign-out")
    sign_in(page, api, api.keys["platform"])
    expect(page.locator("#market-gaps-top li")).to_have_count(3)
    expect(page.locator("#capacity-figures")).to_contain_text("Suppliers2")
    # (31 + 70) bookings of 26 x 2 + 26 x 3 Saturday places last season.
    expect(page.locator("#capacity-figures")).to_contain_text("77.7% of Saturdays filled")


def test_the_couple_journey_panel_shows_the_suppliers_market_with_intervals(
    page: Page, api: RunningApi
) -> None:
    sign_in(page, api, api.keys[PHOTOGRAPHER])

    budget = page.locator("#journey-budget tbody tr")
    expect(budget).to_have_count(2)
    expect(budget.nth(0).locator("td")).to_have_text(
        [
            "0-9999",
            "20",
            "4.20 (3.80 to 4.60)",
            "10.0% (2.8% to 30.1%)",
            "£1,300 (£1,100 to £1,500)",
        ]
    )
    expect(budget.nth(1)).to_contain_text("40.0% (24.6% to 57.7%)")
    expect(page.locator("#journey-market option")).to_have_text(
        ["photographer in london", "photographer in all regions"]
    )
    expect(page.locator("#journey-guests-note")).to_have_text(
        "Guest-count bands are shown for venues and caterers."
    )
    expect(page.locator("#journey-time")).to_have_text(
        "Couples who booked within 365 days of their first enquiry did so after 33.0 days on"
        " average (95% interval 28.0 to 38.0; 40 bookings of couples who enquired at least"
        " that long ago)."
    )
    page.select_option("#journey-market", "photographer in all regions")
    expect(page.locator("#journey-budget tbody tr")).to_have_count(0)
    expect(page.locator("#journey-time")).to_contain_text("after 38.2 days on average")
    page.select_option("#journey-market", "photographer in london")
    assert "scotland" not in page.locator("#journey-card").inner_text()
    page.locator("#journey-card").screenshot(path=str(ARTIFACTS / "dashboard-couple-journey.png"))

    # The platform picks among every market; the Scottish florists' budget band and time.
    page.click("#sign-out")
    sign_in(page, api, api.keys["platform"])
    expect(page.locator("#journey-market option")).to_have_count(3)
    page.select_option("#journey-market", "florist in scotland")
    expect(page.locator("#journey-budget tbody tr")).to_have_count(1)
    expect(page.locator("#journey-budget tbody tr")).to_contain_text("40000+")
    expect(page.locator("#journey-time")).to_contain_text("90.3 days")


def test_the_vendor_network_panel_shows_the_suppliers_own_referral_partners(
    page: Page, api: RunningApi
) -> None:
    sign_in(page, api, api.keys[PHOTOGRAPHER])

    partners = page.locator("#network-partners tbody tr")
    expect(partners).to_have_count(2)
    expect(partners.nth(0).locator("td")).to_have_text(
        [
            "Ivy Lane Films",
            "videographer",
            "8 of 40",
            "20.0% (10.5% to 34.7%)",
            "1.2%",
            "16.7\u00d7 (8.8\u00d7 to 28.9\u00d7)",
            "yes",
        ]
    )
    expect(partners.nth(1)).to_contain_text("Oak Hall Weddings")
    expect(page.locator("#network-summary")).to_have_text(
        f"1 of 2 suppliers that {PHOTOGRAPHER}'s couples also booked look like referral partners."
    )
    expect(page.locator("#network-form")).to_be_hidden()
    assert "Swan Court" not in page.locator("#network-card").inner_text()
    page.locator("#network-card").screenshot(path=str(ARTIFACTS / "dashboard-network.png"))

    # The platform picks a supplier: the florist's one referral partner.
    page.click("#sign-out")
    sign_in(page, api, api.keys["platform"])
    expect(page.locator("#network-note")).to_have_text("Pick a supplier to see its network.")
    page.fill("#network-supplier", FLORIST)
    page.click("#network-form button[type=submit]")
    expect(page.locator("#network-partners tbody tr")).to_have_count(1)
    expect(page.locator("#network-partners tbody tr")).to_contain_text("Swan Court Cakes")
    page.fill("#network-supplier", "sup_999999")
    page.click("#network-form button[type=submit]")
    expect(page.locator("#network-note")).to_have_text("No supplier sup_999999.")


def test_the_couple_predictions_panel_shows_the_suppliers_own_and_names_the_champion(
    page: Page, api: RunningApi
) -> None:
    sign_in(page, api, api.keys[PHOTOGRAPHER])

    expect(page.locator("#couple-budget-summary")).to_have_text(
        "3 couples · median estimated budget £24,000 (middle half £21,000 to £27,000)"
    )
    expect(page.locator("#couple-budget-rows tbody tr td:first-child")).to_have_text(
        ["cpl_000102", "cpl_000101", "cpl_000103"]
    )
    expect(page.locator("#couple-budget-rows tbody tr").first).to_contain_text("£24,000")
    expect(page.locator("#couple-budget-model")).to_have_text(
        "couple_budget_at_first_enquiry v2, champion (gradient_boosting), promoted because it"
        " beat the baseline on held-out data."
    )
    expect(page.locator("#review-score-summary")).to_have_text(
        "2 bookings awaiting a review · expected score 4.31 · 86.0% chance of 4-5 stars on average"
    )
    expect(page.locator("#review-score-rows tbody tr")).to_have_count(2)
    expect(page.locator("#review-score-rows tbody tr").nth(1)).to_contain_text("not set")
    # The review champion is the prior the gate kept: the panel says so.
    expect(page.locator("#review-score-model")).to_have_text(
        "review_score_at_booking v1, champion: the prior baseline, because no model has beaten it"
        " yet (every booking gets the past share of each score)."
    )
    card = page.locator("#couple-predictions-card").inner_text()
    assert "cpl_000201" not in card and "bkg_0000201" not in card
    page.locator("#couple-predictions-card").screenshot(
        path=str(ARTIFACTS / "dashboard-couple-predictions.png")
    )

    # The platform sees every supplier's couples: the florist's £60,000 couple is the newest.
    page.click("#sign-out")
    sign_in(page, api, api.keys["platform"])
    expect(page.locator("#couple-budget-summary")).to_have_text(
        "4 couples · median estimated budget £27,000 (middle half £22,500 to £37,500)"
    )
    expect(page.locator("#couple-budget-rows tbody tr").first).to_contain_text("cpl_000201")
    expect(page.locator("#review-score-rows tbody tr")).to_have_count(3)
