"""How well the simulator's own true booking probabilities score the same test enquiries.

Evaluation only: the truth file is never a feature. The booking model scores an enquiry when
it arrives, so its oracle is the simulator's probability at that moment, integrated over the
reply that had not come yet (`true_probability_at_enquiry`); a truth file from before that
column existed falls back to `true_probability`. The gap between the model's ROC AUC and the
oracle's is the target in DESIGN.md (within 0.02); without a truth file (real data) there is
no oracle and nothing is reported.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ml.evaluation import classification_metrics
from ml.features import LABEL

OUTCOMES_FILE = "enquiry_outcomes.parquet"
AT_ENQUIRY = "true_probability_at_enquiry"


def oracle_metrics(test: pd.DataFrame, truth_dir: Path) -> dict[str, float] | None:
    """Metrics of `true_probability` against the test rows' labels, or None without truth.

    Test enquiries missing from the truth file are left out (and counted), so a partial truth
    file cannot silently score as perfect.
    """
    outcomes_path = truth_dir / OUTCOMES_FILE
    if not outcomes_path.exists():
        return None
    truth = pd.read_parquet(outcomes_path)
    oracle = AT_ENQUIRY if AT_ENQUIRY in truth else "true_probability"
    scored = test[["enquiry_id", LABEL]].merge(
        truth[["enquiry_id", oracle]], on="enquiry_id", how="inner"
    )
    metrics = classification_metrics(scored[LABEL], scored[oracle])
    metrics["rows"] = float(len(scored))
    metrics["rows_missing_truth"] = float(len(test) - len(scored))
    return metrics


def gap_to_oracle(model: dict[str, float], oracle: dict[str, float]) -> dict[str, float]:
    """How far the model is from the ceiling: AUC points below it, Brier as a multiple of it.

    The targets (issue 6) read straight off these: `roc_auc_gap` at most 0.02 and
    `brier_vs_oracle` at most 1.05.
    """
    return {
        "roc_auc_gap": oracle["roc_auc"] - model["roc_auc"],
        "brier_vs_oracle": model["brier"] / oracle["brier"],
    }
