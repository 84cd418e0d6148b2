"""The oracle comparison reads truth only when it exists and only for the test enquiries."""

from pathlib import Path

import pandas as pd
import pytest

from ml.oracle import gap_to_oracle, oracle_metrics


def _test_rows() -> pd.DataFrame:
    return pd.DataFrame({"enquiry_id": ["enq_1", "enq_2", "enq_3"], "booked": [0, 1, 1]})


def test_no_truth_file_means_no_oracle(tmp_path: Path) -> None:
    assert oracle_metrics(_test_rows(), tmp_path) is None


def test_oracle_scores_true_probabilities_on_the_test_rows(tmp_path: Path) -> None:
    pd.DataFrame(
        {
            "enquiry_id": ["enq_1", "enq_2", "enq_9"],
            "true_probability": [0.2, 0.7, 0.5],
            "booked": [False, True, True],
        }
    ).to_parquet(tmp_path / "enquiry_outcomes.parquet")
    oracle = oracle_metrics(_test_rows(), tmp_path)
    assert oracle is not None
    assert oracle["rows"] == 2.0
    assert oracle["rows_missing_truth"] == 1.0
    assert oracle["roc_auc"] == 1.0


def test_gap_to_oracle_reads_as_the_targets() -> None:
    gap = gap_to_oracle({"roc_auc": 0.78, "brier": 0.168}, {"roc_auc": 0.79, "brier": 0.160})
    assert gap["roc_auc_gap"] == pytest.approx(0.01)
    assert gap["brier_vs_oracle"] == pytest.approx(1.05)
