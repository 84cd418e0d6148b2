"""One simulation run: the market drawn in order, cut at `as_of`, written to the landing zone."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from wedsync.exports import EXPORT_START_DATE, mark_exports_complete
from wedsync.simulator import tables
from wedsync.simulator.config import DEFECT_TYPES, SimulationConfig
from wedsync.simulator.couples import finish_couples
from wedsync.simulator.defects import inject_enquiry_defects, mark_booking_defects
from wedsync.simulator.enquiries import (
    add_channel_and_response,
    assign_suppliers,
    draw_plans_and_enquiries,
    enquiry_target,
)
from wedsync.simulator.outcomes import draw_booked_at, make_bookings, make_payments, make_reviews
from wedsync.simulator.play import enquiry_outcomes, play_market, supplier_market
from wedsync.simulator.referrals import draw_partners, refer_couples, referral_rng, referral_truth
from wedsync.simulator.suppliers import make_suppliers
from wedsync.simulator.timeline import midnight
from wedsync.simulator.writer import (
    staging_dir,
    swap_in,
    write_entity,
    write_referral_truth,
    write_truth,
)


@dataclass(frozen=True)
class SimulationSummary:
    """What a run wrote: rows per entity, defects per type, the booking rate, and its duration."""

    rows: dict[str, int]
    defects: dict[str, int]
    booking_rate: float
    files: int
    seconds: float = field(compare=False)

    def __str__(self) -> str:
        rows = ", ".join(f"{entity} {count:,}" for entity, count in self.rows.items())
        defects = ", ".join(f"{kind} {count}" for kind, count in self.defects.items())
        return (
            f"rows: {rows}\n"
            f"defects: {defects}\n"
            f"booking rate (eventual, clean enquiries): {self.booking_rate:.1%}\n"
            f"{self.files:,} export files written in {self.seconds:.1f} s"
        )


def _number_enquiries(
    enquiries: pd.DataFrame, couples: pd.DataFrame, suppliers: pd.DataFrame
) -> pd.DataFrame:
    """Enquiry ids in creation order; couple and supplier ids; duplicates' originals named."""
    enquiries = enquiries.sort_values("created_at", kind="stable")
    enquiries["enquiry_id"] = [f"enq_{n:07d}" for n in range(1, len(enquiries) + 1)]
    couple_of_plan = pd.Series(couples["couple_id"].to_numpy(), index=couples["plan"].to_numpy())
    enquiries["couple_id"] = couple_of_plan.loc[enquiries["plan"].to_numpy()].to_numpy()
    enquiries["supplier_id"] = suppliers["supplier_id"].to_numpy()[enquiries["supplier"]]
    duplicates = enquiries["defect_type"].eq("duplicate_enquiry").to_numpy()
    originals = enquiries["duplicate_of"].to_numpy()[duplicates].astype(np.int64)
    enquiries.loc[duplicates, "defect_value"] = enquiries.loc[originals, "enquiry_id"].to_numpy()
    return enquiries


def _defect_truth(enquiries: pd.DataFrame, bookings: pd.DataFrame) -> pd.DataFrame:
    """One truth row per injected defect, keyed by the defective row's id."""
    parts = []
    for table_name, frame, key in (
        ("enquiries", enquiries, "enquiry_id"),
        ("bookings", bookings, "booking_id"),
    ):
        hit = frame[frame["defect_type"].notna()]
        parts.append(
            pd.DataFrame(
                {
                    "defect_type": hit["defect_type"].to_numpy(),
                    "table_name": table_name,
                    "row_key": hit[key].to_numpy(),
                    "column_name": hit["defect_column"].to_numpy(),
                    "value": hit["defect_value"].to_numpy(),
                }
            )
        )
    return pd.concat(parts, ignore_index=True).sort_values(
        ["table_name", "row_key"], ignore_index=True
    )


def simulate(config: SimulationConfig) -> SimulationSummary:
    """Generate the exports and truth files for `config` into its landing dir."""
    started = time.perf_counter()
    rng = np.random.default_rng(config.seed)
    as_of_at = midnight(config.as_of)
    suppliers = make_suppliers(rng, config.scale, config.as_of)
    plans, enquiries = draw_plans_and_enquiries(rng, config.as_of, enquiry_target(config.scale))
    enquiries = add_channel_and_response(rng, assign_suppliers(rng, enquiries, suppliers))
    enquiries["booked"] = False
    enquiries["booked_at"] = draw_booked_at(rng, enquiries)
    enquiries = inject_enquiry_defects(
        rng, enquiries, suppliers["capacity"].to_numpy(), config.defect_rates, as_of_at
    )
    enquiries = play_market(rng, enquiries, suppliers)

    first_enquiry_at = enquiries.groupby("plan")["created_at"].min()
    couples = finish_couples(
        rng,
        plans.loc[first_enquiry_at.index],
        first_enquiry_at.to_numpy(),
        midnight(EXPORT_START_DATE),
    )
    referral_stream = referral_rng(config.seed)
    partners = draw_partners(referral_stream, suppliers)
    enquiries = pd.concat(
        [enquiries, refer_couples(referral_stream, enquiries, suppliers, partners, as_of_at)]
    )
    enquiries = _number_enquiries(enquiries, couples, suppliers)
    bookings = make_bookings(rng, enquiries, suppliers, as_of_at)
    bookings = mark_booking_defects(rng, bookings, config.defect_rates)
    exports = {
        "suppliers": tables.supplier_rows(suppliers),
        "couples": tables.couple_rows(couples),
        "enquiries": tables.enquiry_rows(enquiries),
        "bookings": tables.booking_rows(bookings, as_of_at),
        "payments": tables.payment_rows(make_payments(rng, bookings, as_of_at)),
        "reviews": tables.review_rows(make_reviews(rng, bookings, as_of_at)),
    }

    outcomes = enquiry_outcomes(enquiries[enquiries["defect_type"].isna()])
    defects = _defect_truth(enquiries, bookings)
    defect_counts = {kind: int((defects["defect_type"] == kind).sum()) for kind in DEFECT_TYPES}
    rows = {entity: len(frame) for entity, frame in exports.items()}
    booking_rate = float(outcomes["booked"].mean()) if len(outcomes) else 0.0
    manifest = {
        "parameters": config.parameters(),
        "rows": rows,
        "defects": defect_counts,
        "clean_enquiries": len(outcomes),
        "eventual_booking_rate": round(booking_rate, 6),
    }

    staging = staging_dir(config.landing_dir)
    files = sum(
        write_entity(staging, entity, frame, config.file_format)
        for entity, frame in exports.items()
    )
    pairs, referrals = referral_truth(enquiries, bookings, suppliers, partners)
    manifest["referrals"] = {
        "true_pairs": len(pairs),
        "referred_enquiries": len(referrals),
        "referred_bookings": int(referrals["booking_id"].notna().sum()),
    }
    write_truth(staging, outcomes, defects, manifest, supplier_market(suppliers))
    write_referral_truth(staging, pairs, referrals)
    mark_exports_complete(staging)
    swap_in(config.landing_dir, staging)
    return SimulationSummary(
        rows, defect_counts, booking_rate, files, time.perf_counter() - started
    )
