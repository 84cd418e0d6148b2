"""`wedsync simulate` on the command line: exports by default, live mode needs a key."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from wedsync.cli import app
from wedsync.exports import export_dates, truth_dir

runner = CliRunner()


def test_simulate_writes_the_landing_zone_and_prints_a_summary(tmp_path: Path):
    result = runner.invoke(
        app,
        [
            "simulate",
            "--scale",
            "0.02",
            "--seed",
            "5",
            "--as-of",
            "2025-06-30",
            "--format",
            "csv",
            "--landing-dir",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "enquiries" in result.output and "booking rate" in result.output
    assert export_dates(tmp_path)[-1].isoformat() < "2025-06-30"
    assert (truth_dir(tmp_path) / "defects.parquet").exists()
    assert list((tmp_path / "exports").glob("*/enquiries.csv"))


def test_live_mode_without_an_api_key_says_which_option_is_missing(monkeypatch):
    monkeypatch.delenv("WEDSYNC_API_KEY", raising=False)
    result = runner.invoke(app, ["simulate", "--live", "--duration", "1"])
    assert result.exit_code == 2
    assert "API key" in result.output
