"""What `make build` says about the booking figures, held against the simulator's truth.

Three checks (issue 12), each naming its population and n:
- the open pipeline: expected bookings (Σ `predictions.booking_probability.probability`)
  against the open enquiries that really book, overall and per enquiry-age band, and how
  often each supplier's likely range (`predictions.pipeline_value`) holds its real count;
- at-arrival calibration: the champion scoring the settled test window as enquiries arrive,
  mean predicted against the real rate, ECE, and its AUC against the at-enquiry oracle's;
- price advice: `ml.price_truth`;
- the vendor network's referral rule against the true referral pairs: `ml.vendor_network_truth`.
Without a truth file (real data) only what needs no truth is printed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg
from mlflow.tracking import MlflowClient

from ml.evaluation import classification_metrics, expected_calibration_error, moving_windows
from ml.features import LABEL, read_booking_features
from ml.oracle import AT_ENQUIRY, OUTCOMES_FILE, oracle_metrics
from ml.pipeline_value import LIKELY_LEVEL
from ml.price_truth import price_advice_section
from ml.registry import champion_version, load_version, use_tracking
from ml.training import predict_booking_probability
from ml.vendor_network_truth import vendor_network_section
from wedsync.exports import truth_dir
from wedsync.settings import get_settings
from wedsync.warehouse import connect

#: Enquiry-age bands (days, inclusive) the pipeline target is checked on.
AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("0-7", 0, 7),
    ("8-21", 8, 21),
    ("22-42", 22, 42),
    ("43+", 43, 10_000),
)
#: Targets (DESIGN.md): the whole pipeline within ±10%, each band within ±0.03 per enquiry.
PIPELINE_TOLERANCE = 0.10
BAND_TOLERANCE = 0.03
#: At arrival: mean predicted within ±0.02 of the real rate, ECE at most 0.02, AUC within 0.02
#: of the oracle's.
CALIBRATION_TOLERANCE = 0.02
ECE_TARGET = 0.02
ORACLE_AUC_TOLERANCE = 0.02
#: Outcome draws for the ECE a perfectly calibrated model shows at the window's n.
ECE_NOISE_DRAWS = 200
ECE_NOISE_SEED = 12
#: Outcome draws for how often a perfect model meets each pipeline target at the band's n.
PIPELINE_NOISE_DRAWS = 2000
PIPELINE_NOISE_SEED = 13


def pipeline_against_truth(conn: psycopg.Connection, truth_dir: Path) -> pd.DataFrame | None:
    """Per age band and overall: open enquiries, expected and real bookings, per-enquiry gap.

    None without a truth file or scores. Open enquiries missing from the truth (defective
    rows the quality rules let through) are counted in `without_truth`, not scored.

    `oracle_bookings` is the same sum with the simulator's own at-enquiry probability in
    place of the model's (and the same lag hazard): what a perfect at-enquiry model would
    expect, so the gap between it and `real_bookings` is the noise no model can remove.
    """
    outcomes = truth_dir / OUTCOMES_FILE
    scores = pd.DataFrame(
        conn.execute(
            "select enquiry_id, probability, probability_at_enquiry, enquiry_age_days "
            "from predictions.booking_probability"
        ).fetchall(),
        columns=["enquiry_id", "probability", "probability_at_enquiry", "enquiry_age_days"],
    )
    if not outcomes.exists() or scores.empty:
        return None
    truth = pd.read_parquet(outcomes)
    joined = scores.merge(truth, on="enquiry_id", how="inner")
    oracle = joined.get(AT_ENQUIRY, joined["true_probability"]).to_numpy()
    # The model's own conditional over its at-enquiry score is the hazard's odds ratio, so the
    # oracle's is read off the same survival without refitting it.
    at_enquiry = joined["probability_at_enquiry"].to_numpy()
    survival_odds = np.divide(
        joined["probability"] * (1 - at_enquiry),
        at_enquiry * (1 - joined["probability"]),
        out=np.zeros(len(joined)),
        where=(at_enquiry > 0) & (joined["probability"] < 1),
    )
    joined["oracle"] = oracle * survival_odds / (1 - oracle + oracle * survival_odds)
    rows = []
    for name, low, high in (*AGE_BANDS, ("all", 0, 10_000)):
        band = joined[joined["enquiry_age_days"].between(low, high)]
        expected, real = float(band["probability"].sum()), int(band["booked"].sum())
        rows.append(
            {
                "age_band": name,
                "open_enquiries": len(band),
                "expected_bookings": expected,
                "real_bookings": real,
                "oracle_bookings": float(band["oracle"].sum()),
                "gap_per_enquiry": (expected - real) / len(band) if len(band) else np.nan,
                "ratio": expected / real if real else np.nan,
                "perfect_meets": perfect_model_meets(band["oracle"].to_numpy(), name == "all"),
            }
        )
    report = pd.DataFrame(rows)
    report.attrs["without_truth"] = len(scores) - len(joined)
    return report


def meets_pipeline_target(expected: float, real: np.ndarray, n: int, whole: bool) -> np.ndarray:
    """Whether `expected` bookings meet the target against each count in `real`: the whole
    pipeline's ratio within ±10%, a band's gap within ±0.03 per enquiry."""
    if whole:
        return (real > 0) & (np.abs(expected / np.maximum(real, 1) - 1) <= PIPELINE_TOLERANCE)
    return np.abs(expected - real) / max(n, 1) <= BAND_TOLERANCE


def perfect_model_meets(probability: np.ndarray, whole: bool) -> float:
    """The share of outcome draws in which these probabilities, were they exactly right, meet
    the pipeline target (`meets_pipeline_target`): its noise floor at this n. Real bookings
    are one draw, so a band of 145 enquiries at p ≈ 0.3 misses ±0.03 about two times in five
    time whatever the model; a miss where this share is low says nothing against it."""
    rng = np.random.default_rng(PIPELINE_NOISE_SEED)
    booked = (rng.random((PIPELINE_NOISE_DRAWS, len(probability))) < probability).sum(axis=1)
    return float(meets_pipeline_target(probability.sum(), booked, len(probability), whole).mean())


def range_coverage(conn: psycopg.Connection, truth_dir: Path) -> tuple[int, int] | None:
    """(suppliers whose real count of bookings from their open enquiries lies in their
    likely range, suppliers checked); None without a truth file or a scored pipeline."""
    outcomes = truth_dir / OUTCOMES_FILE
    if not outcomes.exists():
        return None
    ranges = pd.DataFrame(
        conn.execute(
            "select v.supplier_id, v.bookings_low, v.bookings_high, b.enquiry_id "
            "from predictions.pipeline_value as v "
            "join predictions.booking_probability as b using (supplier_id)"
        ).fetchall(),
        columns=["supplier_id", "bookings_low", "bookings_high", "enquiry_id"],
    )
    if ranges.empty:
        return None
    truth = pd.read_parquet(outcomes, columns=["enquiry_id", "booked"])
    joined = ranges.merge(truth, on="enquiry_id", how="inner")
    per_supplier = joined.groupby("supplier_id").agg(
        low=("bookings_low", "first"), high=("bookings_high", "first"), real=("booked", "sum")
    )
    covered = per_supplier["real"].between(per_supplier["low"], per_supplier["high"])
    return int(covered.sum()), len(per_supplier)


def render_range_coverage(covered: int, suppliers: int) -> str:
    """One line: how often the likely range a supplier is shown held what really booked."""
    share = covered / suppliers
    return (
        f"  each supplier's likely range ({LIKELY_LEVEL:.0%}) held its real bookings for "
        f"{covered:,} of {suppliers:,} suppliers ({share:.1%}; target ≥ {LIKELY_LEVEL:.0%}: "
        f"{_verdict(share >= LIKELY_LEVEL)})"
    )


def calibrated_ece_range(
    probability: np.ndarray, draws: int = ECE_NOISE_DRAWS, seed: int = ECE_NOISE_SEED
) -> tuple[float, float, float]:
    """(median, 5%, 95%) of the ECE these probabilities would show were they exactly right:
    outcomes drawn from them, binned as the ECE bins them. The ECE of a finite window is
    never zero (at scale 0.3's 2,300 test enquiries a perfect model's is about 0.02), so a
    figure inside this range says nothing against the model."""
    probability = np.asarray(probability, dtype=float)
    rng = np.random.default_rng(seed)
    eces = [
        expected_calibration_error(rng.random(len(probability)) < probability, probability)
        for _ in range(draws)
    ]
    low, median, high = np.quantile(eces, [0.05, 0.5, 0.95])
    return float(median), float(low), float(high)


@dataclass(frozen=True)
class ArrivalCalibration:
    """The champion scoring the settled test window as each enquiry arrived, and the ECE
    range a perfectly calibrated model would show on it (`calibrated_ece_range`)."""

    window: str
    metrics: dict[str, float]
    oracle: dict[str, float] | None
    ece_noise: tuple[float, float, float]


def arrival_calibration(
    conn: psycopg.Connection, model: object, truth_dir: Path
) -> ArrivalCalibration:
    """Score today's test window (`ml.evaluation.moving_windows`) with `model` (a pipeline)."""
    windows = moving_windows(read_booking_features(conn))
    test = windows.test
    probability = predict_booking_probability(model, test)  # type: ignore[arg-type]
    metrics = classification_metrics(test[LABEL], probability)
    oracle = oracle_metrics(test, truth_dir)
    described = windows.describe("test")
    return ArrivalCalibration(
        window=f"test window {described['test_from']}..{described['test_to']}",
        metrics=metrics,
        oracle=oracle,
        ece_noise=calibrated_ece_range(probability.to_numpy()),
    )


def _verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def render_pipeline(report: pd.DataFrame) -> list[str]:
    """The pipeline table, one line per band, with each target's verdict."""
    lines = [
        "Pipeline value vs truth (open enquiries; expected = Σ P(books | still open at its age);"
        " oracle = the same with the simulator's at-enquiry probability):"
    ]
    lines.append(
        f"  {'age band':<9} {'n':>6} {'expected':>9} {'oracle':>7} {'real':>6} {'gap/enq':>8}"
    )
    for row in report.itertuples(index=False):
        whole = row.age_band == "all"
        ok = bool(
            meets_pipeline_target(
                row.expected_bookings, np.array([row.real_bookings]), row.open_enquiries, whole
            )[0]
        )
        if whole:
            target = f"ratio {row.ratio:.3f}, target ±{PIPELINE_TOLERANCE:.0%}: {_verdict(ok)}"
        else:
            target = f"target ±{BAND_TOLERANCE}: {_verdict(ok)}"
        lines.append(
            f"  {row.age_band:<9} {row.open_enquiries:>6,} {row.expected_bookings:>9.1f} "
            f"{row.oracle_bookings:>7.1f} {row.real_bookings:>6,} {row.gap_per_enquiry:>+8.3f}  "
            f"{target}; a perfect model meets it in {row.perfect_meets:.0%} of outcome draws"
        )
    return lines


def render_calibration(calibration: ArrivalCalibration) -> list[str]:
    """At-arrival calibration and discrimination against the targets."""
    m = calibration.metrics
    in_the_large = abs(m["calibration_in_the_large"]) <= CALIBRATION_TOLERANCE
    lines = [
        f"At-arrival scores (champion, {calibration.window}, n={int(m['rows']):,}):",
        f"  mean predicted {m['mean_predicted']:.3f} vs real {m['booking_rate']:.3f} "
        f"(target ±{CALIBRATION_TOLERANCE}: {_verdict(in_the_large)}), "
        f"ECE {m['ece']:.3f} (target ≤ {ECE_TARGET}: {_verdict(m['ece'] <= ECE_TARGET)})",
        "  ECE these scores would show were they exactly right (outcomes drawn from them): "
        f"median {calibration.ece_noise[0]:.3f}, 90% of draws {calibration.ece_noise[1]:.3f}.."
        f"{calibration.ece_noise[2]:.3f}",
    ]
    if calibration.oracle is not None:
        oracle = calibration.oracle
        gap = oracle["roc_auc"] - m["roc_auc"]
        lines.append(
            f"  AUC {m['roc_auc']:.3f} vs at-enquiry oracle {oracle['roc_auc']:.3f} "
            f"(gap {gap:+.3f}, target ≤ {ORACLE_AUC_TOLERANCE}: "
            f"{_verdict(gap <= ORACLE_AUC_TOLERANCE)}); the oracle's own ECE on this window "
            f"{oracle['ece']:.3f} (the noise floor at this n)"
        )
    return lines


def honest_numbers_section() -> list[str]:
    """The build summary's lines for issue 12: pipeline vs truth, at-arrival scores, price
    advice vs the true price response. Never raises: a part that cannot be computed says why."""
    settings = get_settings()
    truth = truth_dir(settings.landing_dir)
    lines: list[str] = []
    with connect() as conn:
        try:
            report = pipeline_against_truth(conn, truth)
            lines += (
                render_pipeline(report)
                if report is not None
                else ["Pipeline value vs truth: no truth file or no open enquiries scored"]
            )
            coverage = range_coverage(conn, truth)
            if coverage is not None:
                lines.append(render_range_coverage(*coverage))
        except psycopg.Error as error:
            conn.rollback()
            lines.append(f"Pipeline value vs truth: not available ({error.diag.message_primary})")
        use_tracking(settings.mlflow_tracking_uri)
        version = champion_version(MlflowClient())
        if version is None:
            lines.append("At-arrival scores: no champion model")
        else:
            try:
                lines += render_calibration(arrival_calibration(conn, load_version(version), truth))
            except (ValueError, psycopg.Error) as error:
                conn.rollback()
                lines.append(f"At-arrival scores: not available ({error})")
        lines += price_advice_section(conn, truth)
    return lines + vendor_network_section()
