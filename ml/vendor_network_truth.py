"""The vendor-network mart's referral rule held against the simulator's true referral pairs.

The simulator gives each supplier a few true referral partners and refers some of its booked
couples to them (wedsync/simulator/referrals.py); `marts.vendor_network` never sees that, only
who booked whom and when, and marks the pairs its rule predicts (`is_predicted_referral`).
Against the truth's `referral_pairs.parquet`:
- precision: the share of predicted pairs that are true pairs;
- recall: the share of true pairs predicted, over all true pairs, and over the true pairs
  whose referrals really produced at least the rule's minimum of bookings before the as-of
  date (`referrals.parquet`), the pairs the bookings could show at all;
- the precision of predicting every co-booked pair, the rate a rule without skill gets.
The check passes when precision and the recall on showable pairs reach their targets.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import psycopg

from wedsync.exports import truth_dir
from wedsync.settings import get_settings
from wedsync.warehouse import connect

PAIRS_FILE = "referral_pairs.parquet"
REFERRALS_FILE = "referrals.parquet"
#: The rule's minimum of couples following (dbt var `referral_min_couples`).
MIN_REFERRED_BOOKINGS = 3
#: Targets: most predicted pairs are real, and most pairs the bookings can show are found.
PRECISION_TARGET = 0.8
SHOWABLE_RECALL_TARGET = 0.6

_NETWORK = """
select supplier_id, partner_id, is_predicted_referral from marts.vendor_network
"""


@dataclass(frozen=True)
class NetworkTruth:
    """The referral rule's counts against the true pairs."""

    true_pairs: int
    showable_pairs: int
    published_pairs: int
    predicted_pairs: int
    predicted_true: int
    predicted_showable: int
    published_true: int

    @property
    def precision(self) -> float:
        """Share of predicted pairs that are true (0 when nothing is predicted)."""
        return self.predicted_true / self.predicted_pairs if self.predicted_pairs else 0.0

    @property
    def recall(self) -> float:
        """Share of all true pairs predicted."""
        return self.predicted_true / self.true_pairs if self.true_pairs else 0.0

    @property
    def showable_recall(self) -> float:
        """Share of the true pairs with enough referred bookings that are predicted."""
        return self.predicted_showable / self.showable_pairs if self.showable_pairs else 0.0

    @property
    def all_pairs_precision(self) -> float:
        """The precision of predicting every published (co-booked) pair: no skill."""
        return self.published_true / self.published_pairs if self.published_pairs else 0.0

    @property
    def ok(self) -> bool:
        """Both targets met."""
        return self.precision >= PRECISION_TARGET and self.showable_recall >= SHOWABLE_RECALL_TARGET


def _pair_set(frame: pd.DataFrame) -> set[tuple[str, str]]:
    return set(frame[["supplier_id", "partner_id"]].itertuples(index=False, name=None))


def network_against_truth(network: pd.DataFrame, truth: Path) -> NetworkTruth | None:
    """Score `network` (supplier_id, partner_id, is_predicted_referral) against the truth
    files; None without a truth file that records referral pairs."""
    if not (truth / PAIRS_FILE).exists():
        return None
    pairs = pd.read_parquet(truth / PAIRS_FILE, columns=["supplier_id", "partner_id"])
    referrals = pd.read_parquet(truth / REFERRALS_FILE)
    booked = referrals[referrals["booking_id"].notna()]
    referred_bookings = booked.groupby(["referred_by", "supplier_id"]).size()
    showable = {pair for pair, count in referred_bookings.items() if count >= MIN_REFERRED_BOOKINGS}
    true = _pair_set(pairs)
    published = _pair_set(network)
    predicted = _pair_set(network[network["is_predicted_referral"].astype(bool)])
    return NetworkTruth(
        true_pairs=len(true),
        showable_pairs=len(showable & true),
        published_pairs=len(published),
        predicted_pairs=len(predicted),
        predicted_true=len(predicted & true),
        predicted_showable=len(predicted & showable & true),
        published_true=len(published & true),
    )


def read_network(conn: psycopg.Connection) -> pd.DataFrame:
    """The mart's pairs and the rule's verdict on each."""
    cursor = conn.execute(_NETWORK)
    return pd.DataFrame(cursor.fetchall(), columns=[c.name for c in cursor.description or ()])


def render_network(report: NetworkTruth) -> list[str]:
    """The summary's lines: precision and recall against their targets and the no-skill rate."""
    verdict = "ok" if report.ok else "MISSED"
    return [
        f"Vendor network vs truth ({report.true_pairs:,} true referral pairs, "
        f"{report.published_pairs:,} co-booked pairs published, "
        f"{report.predicted_pairs:,} predicted): {verdict}",
        f"  precision {report.precision:.3f} ({report.predicted_true:,} of "
        f"{report.predicted_pairs:,}; target ≥ {PRECISION_TARGET}; every co-booked pair would "
        f"give {report.all_pairs_precision:.3f})",
        f"  recall {report.recall:.3f} of all true pairs; {report.showable_recall:.3f} "
        f"({report.predicted_showable:,} of {report.showable_pairs:,}) of those with at least "
        f"{MIN_REFERRED_BOOKINGS} referred bookings (target ≥ {SHOWABLE_RECALL_TARGET})",
    ]


def vendor_network_section() -> list[str]:
    """The build summary's lines for issue 14's vendor network. Never raises: a part that
    cannot be computed says why."""
    truth = truth_dir(get_settings().landing_dir)
    with connect() as conn:
        try:
            report = network_against_truth(read_network(conn), truth)
        except psycopg.Error as error:
            return [f"Vendor network vs truth: not available ({error.diag.message_primary})"]
    if report is None:
        return ["Vendor network vs truth: no truth file that records referral pairs"]
    return render_network(report)
