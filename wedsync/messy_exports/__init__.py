"""Messy exports: a second, independent generator of the defects real nightly exports carry.

The simulator's own injector (`wedsync.simulator.defects`) writes the defects the quality rules
were written against. This package damages a clean landing zone in the ways real exports go
wrong (near-duplicates, budgets in pence or as text, day/month swaps, BST timestamps, truncated,
duplicated, late and out-of-order files, renamed columns, new enum values, impossible money,
test and bot accounts), so that the rules can be measured on defects nobody tuned them for.
`kinds` lists the kinds; `generate` damages an export history (read from the raw tables by
`history`) and writes the damaged nights and their truth.
"""

from wedsync.messy_exports.generate import generate_messy_exports, read_truth
from wedsync.messy_exports.history import ExportHistory, history_from_warehouse
from wedsync.messy_exports.kinds import KINDS, KINDS_BY_NAME, MessyKind

__all__ = [
    "KINDS",
    "KINDS_BY_NAME",
    "ExportHistory",
    "MessyKind",
    "generate_messy_exports",
    "history_from_warehouse",
    "read_truth",
]
