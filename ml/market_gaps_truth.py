"""The market-gaps marts held against the simulator's truth (issue 14).

The warehouse cannot see when a couple that did not book decided, so `int_enquiry_room`
estimates the chance each enquiry met a full date from the booking lags of the couples that
did (dbt_project/models/intermediate/int_enquiry_room.sql). The truth file knows it exactly
(`date_full`). Two checks, each naming its population and n:
- the no-room share per vendor type and per region: the mean estimated chance against the
  share that really met a full date, on settled enquiries (made at least the longest booking
  lag before the newest enquiry, so every decision and every fill before it is exported).
  Tolerance: 3 standard errors of the true share at that n (a share of 0 counted as 1 in n),
  the binomial noise a perfect per-enquiry probability would still show;
- the expected unmet couples (searches that met a full date and booked none of the type)
  per vendor type on settled searches, against the truth's count (3 Poisson standard
  deviations);
- the published months of most unmet demand (`marts.market_gaps`), each with the couples the
  truth says met a full date and booked none of the type (the mart's definition), and of
  those the ones that had wished to book it (turned away);
- the expected unmet couples per wedding month on the same settled searches, against the
  truth's per month (Pearson's statistic under chi-squared's 99.9% point). The checks above
  pool months, so only this one sees demand put in the wrong month. It reads the searches,
  not `market_gaps`' published markets: at the tests' scale (0.03) its three markets hold
  two unmet couples in all, too few for a month shift there to show.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg
from scipy.stats import chi2

from ml.oracle import OUTCOMES_FILE
from wedsync.exports import truth_dir
from wedsync.settings import get_settings
from wedsync.warehouse import connect

#: A group's estimated share may miss the true share by this many standard errors.
STANDARD_ERRORS = 3.0
#: How many of the mart's top gaps the summary lists.
TOP_GAPS = 5

#: Enquiries made before this are settled: every decision and date fill before it is exported.
_SETTLED_BEFORE = """
select max(e.created_at) - (select max(booked_at - created_at) from marts.fct_enquiries)
from intermediate.int_enquiry_room as e
"""

_SETTLED_ENQUIRIES = """
select enquiry_id, couple_id, vendor_type, region, wedding_month,
       no_room_probability::float8 as no_room_probability
from intermediate.int_enquiry_room where created_at < %s
"""

#: Searches all of whose enquiries are settled, with the mart's chance they went unmet.
_SETTLED_SEARCHES = """
select s.couple_id, s.vendor_type, s.region, s.wedding_month,
       s.unmet_probability::float8 as unmet_probability
from intermediate.int_couple_searches as s
inner join (
    select couple_id, vendor_type, region, wedding_month, max(created_at) as last_enquiry_at
    from intermediate.int_enquiry_room group by couple_id, vendor_type, region, wedding_month
) as made using (couple_id, vendor_type, region, wedding_month)
where made.last_enquiry_at < %s
"""

#: Settled searches (every enquiry of the couple's market settled) in whichever wedding month
#: the searches table says, matched to the enquiries by couple and market only.
_SETTLED_SEARCH_MONTHS = """
select s.couple_id, s.vendor_type, s.region, s.wedding_month,
       s.unmet_probability::float8 as unmet_probability
from intermediate.int_couple_searches as s
inner join (
    select couple_id, vendor_type, region, max(created_at) as last_enquiry_at
    from intermediate.int_enquiry_room group by couple_id, vendor_type, region
) as made using (couple_id, vendor_type, region)
where made.last_enquiry_at < %s
"""

_ALL_ENQUIRIES = """
select enquiry_id, couple_id, vendor_type, region, wedding_month
from intermediate.int_enquiry_room
"""

_TOP_GAPS = """
select wedding_month, vendor_type, region, unmet_couples::float8 as unmet_couples
from marts.market_gaps order by unmet_couples desc, wedding_month, vendor_type, region limit %s
"""


def _frame(conn: psycopg.Connection, query: str, *params: object) -> pd.DataFrame:
    cursor = conn.execute(query, params or None)
    return pd.DataFrame(cursor.fetchall(), columns=[c.name for c in cursor.description or ()])


def _truth(truth: Path) -> pd.DataFrame | None:
    outcomes = truth / OUTCOMES_FILE
    if not outcomes.exists():
        return None
    frame = pd.read_parquet(outcomes)
    if "date_full" not in frame.columns:
        return None  # a truth file from before the simulator recorded it
    return frame[["enquiry_id", "booked", "wished", "date_full"]]


def no_room_against_truth(conn: psycopg.Connection, truth: Path) -> pd.DataFrame | None:
    """Per vendor type, per region and overall: settled enquiries, estimated and true no-room
    share, the gap and its tolerance. None without a truth file that knows `date_full`."""
    outcomes = _truth(truth)
    if outcomes is None:
        return None
    settled_before = conn.execute(_SETTLED_BEFORE).fetchone()
    joined = _frame(conn, _SETTLED_ENQUIRIES, settled_before[0] if settled_before else None)
    joined = joined.merge(outcomes, on="enquiry_id", how="inner")
    if joined.empty:
        return None
    rows = []
    groups = [("vendor_type", joined["vendor_type"]), ("region", joined["region"])]
    groups.append(("all", pd.Series("all", index=joined.index)))
    for dimension, keys in groups:
        for value, group in joined.groupby(keys):
            truth_share = float(group["date_full"].mean())
            # A share of 0 or 1 at n still has the noise of one enquiry in n either way.
            bounded = min(max(truth_share, 1 / len(group)), 1 - 1 / len(group))
            standard_error = np.sqrt(bounded * (1 - bounded) / len(group))
            estimated = float(group["no_room_probability"].mean())
            rows.append(
                {
                    "dimension": dimension,
                    "value": value,
                    "enquiries": len(group),
                    "estimated_share": estimated,
                    "true_share": truth_share,
                    "gap": estimated - truth_share,
                    "tolerance": STANDARD_ERRORS * standard_error,
                }
            )
    report = pd.DataFrame(rows)
    report["ok"] = report["gap"].abs() <= report["tolerance"]
    return report


_SEARCH = ["couple_id", "vendor_type", "region", "wedding_month"]
#: A search's couple and market, without its month (the month check compares months).
_MARKET_SEARCH = ["couple_id", "vendor_type", "region"]


def _true_searches(enquiries: pd.DataFrame, outcomes: pd.DataFrame) -> pd.DataFrame:
    """Per search: whether it really met a full date and booked none of the type
    (`met_full`, the mart's definition), and whether it had wished to book a full one."""
    joined = enquiries.merge(outcomes, on="enquiry_id", how="inner")
    joined["wished_full"] = joined["wished"] & joined["date_full"]
    searches = joined.groupby(_SEARCH, as_index=False).agg(
        booked=("booked", "any"), met_full=("date_full", "any"), turned=("wished_full", "any")
    )
    searches["met_full"] &= ~searches["booked"]
    searches["turned_away"] = searches["turned"] & ~searches["booked"]
    return searches.drop(columns=["booked", "turned"])


def true_unmet_couples(conn: psycopg.Connection, truth: Path) -> pd.DataFrame | None:
    """Per wedding month and market, the couples who really met a full date and booked none
    of the type (`met_full`) and of those the ones that had wished to book it (`turned_away`).
    Every month, so eventual outcomes for the months still ahead."""
    outcomes = _truth(truth)
    if outcomes is None:
        return None
    searches = _true_searches(_frame(conn, _ALL_ENQUIRIES), outcomes)
    return searches.groupby(["wedding_month", "vendor_type", "region"], as_index=False)[
        ["met_full", "turned_away"]
    ].sum()


def unmet_against_truth(conn: psycopg.Connection, truth: Path) -> pd.DataFrame | None:
    """Per vendor type, on settled searches (every enquiry settled): the mart's expected unmet
    couples (`int_couple_searches`) against the truth's `met_full` and `turned_away`."""
    outcomes = _truth(truth)
    if outcomes is None:
        return None
    settled_before = conn.execute(_SETTLED_BEFORE).fetchone()
    cutoff = settled_before[0] if settled_before else None
    estimated = _frame(conn, _SETTLED_SEARCHES, cutoff)
    real = _true_searches(_frame(conn, _SETTLED_ENQUIRIES, cutoff), outcomes)
    joined = estimated.merge(real, on=_SEARCH, how="inner")
    return joined.groupby("vendor_type").agg(
        searches=("unmet_probability", "size"),
        estimated=("unmet_probability", "sum"),
        met_full=("met_full", "sum"),
        turned_away=("turned_away", "sum"),
    )


@dataclass(frozen=True)
class MonthsCheck:
    """The unmet couples per wedding month against the truth's, and the verdict."""

    months: pd.DataFrame
    #: Pearson's statistic over the months, taking the estimate as each month's expectation.
    statistic: float
    #: Its 99.9% point under chi-squared, one degree of freedom per month with any couple.
    limit: float

    @property
    def ok(self) -> bool:
        """The months' differences are no larger than Poisson noise would make them (and
        there was something to compare: no month is not a pass)."""
        return not self.months.empty and self.statistic <= self.limit


def months_against_truth(conn: psycopg.Connection, truth: Path) -> MonthsCheck | None:
    """On settled searches, the expected unmet couples per wedding month
    (`int_couple_searches`, which `market_gaps` sums per market) against the truth's
    `met_full` per wedding month for the same searches (matched by couple and market, not by
    month). Pearson's statistic, each month's estimate taken as the expected count (at least
    1), must stay under chi-squared's 99.9% point with one degree of freedom per month where
    either count is above 0."""
    outcomes = _truth(truth)
    if outcomes is None:
        return None
    settled_before = conn.execute(_SETTLED_BEFORE).fetchone()
    cutoff = settled_before[0] if settled_before else None
    estimated = _frame(conn, _SETTLED_SEARCH_MONTHS, cutoff)
    real = _true_searches(_frame(conn, _SETTLED_ENQUIRIES, cutoff), outcomes)
    searched = estimated[_MARKET_SEARCH].drop_duplicates()
    real = real.merge(searched, on=_MARKET_SEARCH, how="inner")
    months = (
        pd.concat(
            [
                estimated.groupby("wedding_month")["unmet_probability"].sum().rename("estimated"),
                real.groupby("wedding_month")["met_full"].sum().rename("true"),
            ],
            axis=1,
        )
        .fillna(0.0)
        .sort_index()
        .reset_index()
    )
    expected = months["estimated"].clip(lower=1)
    statistic = float((((months["true"] - months["estimated"]) ** 2) / expected).sum())
    # A month where both are 0 says nothing: it adds no degree of freedom.
    informative = int(((months["estimated"] > 0) | (months["true"] > 0)).sum())
    return MonthsCheck(months, statistic, float(chi2.ppf(0.999, df=max(informative, 1))))


def render_months(check: MonthsCheck) -> list[str]:
    """One line: the months' statistic against its limit."""
    return [
        f"  unmet couples per wedding month (settled searches, {len(check.months)} months):"
        f" Pearson {check.statistic:.1f} vs the 99.9% limit {check.limit:.1f}"
        f" ({'ok' if check.ok else 'MISSED'})"
    ]


def render_no_room(report: pd.DataFrame) -> list[str]:
    """The no-room table, one line per group, with each tolerance's verdict."""
    misses = int((~report["ok"]).sum())
    lines = [
        "Market gaps vs truth: share of settled enquiries that met a full date "
        f"(estimated from booking lags vs the simulator's; tolerance {STANDARD_ERRORS:.0f} "
        f"standard errors of the true share; {len(report) - misses} of {len(report)} within):"
    ]
    for row in report.itertuples(index=False):
        lines.append(
            f"  {row.dimension:<11} {row.value:<16} n={row.enquiries:>6,} "
            f"estimated {row.estimated_share:.3f} vs true {row.true_share:.3f} "
            f"(gap {row.gap:+.3f}, ±{row.tolerance:.3f}: {'ok' if row.ok else 'MISSED'})"
        )
    return lines


def render_unmet(report: pd.DataFrame) -> list[str]:
    """Per vendor type, the expected unmet couples against the real ones (settled searches)."""
    real, estimated = int(report["met_full"].sum()), float(report["estimated"].sum())
    tolerance = STANDARD_ERRORS * np.sqrt(max(real, 1))
    verdict = "ok" if abs(estimated - real) <= tolerance else "MISSED"
    lines = [
        f"  unmet couples (settled searches, n={int(report['searches'].sum()):,}): estimated "
        f"{estimated:.1f} vs true {real} (±{tolerance:.1f}, {STANDARD_ERRORS:.0f} Poisson "
        f"standard deviations: {verdict}); of the true, {int(report['turned_away'].sum())} had "
        "wished to book a full date"
    ]
    for row in report.itertuples():
        lines.append(
            f"    {row.Index:<13} estimated {row.estimated:6.1f} vs true {row.met_full:>4}"
        )
    return lines


def render_top_gaps(top: pd.DataFrame, truth: pd.DataFrame) -> list[str]:
    """The mart's months of most unmet demand, with the truth's couples for each."""
    if top.empty:
        return ["Top market gaps: no market published (every one below 5 suppliers)"]
    merged = top.merge(truth, on=["wedding_month", "vendor_type", "region"], how="left").fillna(0)
    lines = [
        "Top market gaps (marts.market_gaps) vs truth (couples who met a full date and booked"
        " none; of those, wished to book it):"
    ]
    for row in merged.itertuples(index=False):
        lines.append(
            f"  {row.wedding_month:%Y-%m} {row.vendor_type:<13} {row.region:<17} "
            f"estimated {row.unmet_couples:6.1f}, true {int(row.met_full):>4} "
            f"(turned away {int(row.turned_away)})"
        )
    return lines


def market_gaps_section() -> list[str]:
    """The build summary's lines for issue 14's market gaps. Never raises: a part that cannot
    be computed says why."""
    truth = truth_dir(get_settings().landing_dir)
    with connect() as conn:
        try:
            report = no_room_against_truth(conn, truth)
            if report is None:
                return ["Market gaps vs truth: no truth file that records date_full"]
            lines = render_no_room(report)
            searches = unmet_against_truth(conn, truth)
            if searches is not None and not searches.empty:
                lines += render_unmet(searches)
            else:  # an empty comparison is not a pass
                lines.append("  unmet couples: no settled search matches its enquiries (MISSED)")
            months = months_against_truth(conn, truth)
            if months is not None and not months.months.empty:
                lines += render_months(months)
            unmet = true_unmet_couples(conn, truth)
            assert unmet is not None  # the truth file was read above
            return lines + render_top_gaps(_frame(conn, _TOP_GAPS, TOP_GAPS), unmet)
        except psycopg.Error as error:
            return [f"Market gaps vs truth: not available ({error.diag.message_primary})"]
