"""Damage a clean export history into messy export files, with a truth of every damage.

The messy landing has the clean one's layout (`exports/<date>/<entity>.<fmt>`) but holds only
the damaged nights, so the real loader replaces exactly those nights. Its truth,
`_messy_truth/defects.parquet`, lists one row per damaged row (kind, table_name, row_key,
detail) or per damaged file (row_key null, export_date set). Rows the simulator already
injected a defect into are never damaged again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from wedsync.messy_exports import accounts, exports, values
from wedsync.messy_exports.history import ExportHistory, write_history
from wedsync.messy_exports.picker import Picker

MESSY_TRUTH_DIR = "_messy_truth"
MESSY_TRUTH_FILE = "defects.parquet"
#: The trial damages the most recent nights, where the business looks (and the fewer nights
#: it touches, the fewer files it writes and reloads).
WINDOW_DAYS = 120
#: Rows damaged per row-level kind: this share of the window's enquiries, within 20..100.
ROWS_PER_KIND_SHARE = 0.01
MIN_ROWS_PER_KIND = 20
MAX_ROWS_PER_KIND = 100
TRUTH_COLUMNS = ("kind", "table_name", "row_key", "export_date", "detail")

_FILE_DAMAGE: tuple[Callable[[Picker], None], ...] = (
    exports.duplicated_file,
    exports.export_cut_between_rows,
    exports.truncated_file,
    exports.renamed_column,
)
_ROW_DAMAGE: tuple[Callable[[Picker, int], None], ...] = (
    accounts.near_duplicate_shifted_date,
    accounts.near_duplicate_retyped_names,
    accounts.test_account,
    accounts.bot_account,
    values.budget_in_pence,
    values.budget_as_text,
    values.day_month_swap,
    values.utc_bst_boundary_shift,
    values.new_enum_value,
    values.payment_above_booking_value,
    values.deposit_above_total,
    exports.late_export,
    exports.out_of_order_export,
)


def generate_messy_exports(
    history: ExportHistory,
    injected: set[tuple[str, str]],
    messy_landing: Path,
    *,
    seed: int = 12,
) -> pd.DataFrame:
    """Damage the history's recent nights, write them into `messy_landing`; return the truth.

    `injected` holds (table, key) of rows the simulator already made defective: they are
    never damaged again. `history` is changed in place. Same history and seed, same damage.
    """
    if not history.dates:
        raise ValueError("history: no export nights to damage")
    window_start = history.dates[-1] - dt.timedelta(days=WINDOW_DAYS)
    picker = Picker(np.random.default_rng(seed), history, injected, window_start)
    enquiries = history.frames["enquiries"]
    recent = int((enquiries["_export_date"] >= window_start).sum())
    count = min(MAX_ROWS_PER_KIND, max(MIN_ROWS_PER_KIND, round(ROWS_PER_KIND_SHARE * recent)))
    for damage_file in _FILE_DAMAGE:
        damage_file(picker)
    for damage_rows in _ROW_DAMAGE:
        damage_rows(picker, count)
    write_history(history, messy_landing)
    truth = pd.DataFrame(picker.truth, columns=list(TRUTH_COLUMNS))
    (messy_landing / MESSY_TRUTH_DIR).mkdir(parents=True, exist_ok=True)
    truth.to_parquet(messy_landing / MESSY_TRUTH_DIR / MESSY_TRUTH_FILE, index=False)
    return truth


def read_truth(messy_landing: Path) -> pd.DataFrame:
    """The truth a messy landing was written with."""
    return pd.read_parquet(messy_landing / MESSY_TRUTH_DIR / MESSY_TRUTH_FILE)
