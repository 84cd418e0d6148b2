"""How much of a wedding month's demand the history can see, given when the history starts.

The exports start on one day; an enquiry made before it is not in the warehouse. A wedding
month `d` months after the start therefore shows only the enquiries made at most `d` months
ahead of it: for venues (enquired about ~13 months ahead) the first year's wedding months hold a
fraction of their real demand. Used as "last year", that cut-off count makes seasonal naive (and
every method reading last year) a straw man, and inflates MASE's scale.

The share visible at depth `d` comes from the lead-time profile (months between enquiry and
wedding) per vendor type, estimated from the history itself with a product-limit estimator
that respects the cut-off: the share of enquiries made at most `k` months ahead among those
made at most `k + 1` months ahead is taken only over wedding months deep enough to show both.
Leads longer than the history seen so far are unknowable, so early on the share is an upper
bound and the completed count a lower one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Below this visible share, last year's count is treated as unknown rather than blown up.
MIN_VISIBLE_SHARE = 0.25


def lead_profile(enquiries: pd.DataFrame, first: int, before: int) -> pd.DataFrame:
    """Per vendor type and lead `k` months: the share of a wedding month's enquiries made at
    most `k` months ahead (`visible_share`), from wedding months complete before `before`.

    `enquiries` holds `vendor_type, wedding_m, created_m` (see `ml.demand.history`); `first` is
    the month the history starts. Rows cover `k = 0 .. before - 1 - first`.
    """
    complete = enquiries[(enquiries["wedding_m"] < before) & (enquiries["created_m"] < before)]
    depth_max = before - 1 - first
    if depth_max < 0:
        return pd.DataFrame(columns=["vendor_type", "lead", "visible_share"])
    profiles = []
    for vendor_type, rows in complete.groupby("vendor_type", sort=True):
        lead = (rows["wedding_m"] - rows["created_m"]).clip(lower=0).to_numpy()
        depth = (rows["wedding_m"] - first).to_numpy()
        share = _visible_share(lead, depth, depth_max)
        profiles.append(
            pd.DataFrame(
                {
                    "vendor_type": vendor_type,
                    "lead": np.arange(depth_max + 1),
                    "visible_share": share,
                }
            )
        )
    if not profiles:
        return pd.DataFrame(columns=["vendor_type", "lead", "visible_share"])
    return pd.concat(profiles, ignore_index=True)


def _visible_share(lead: np.ndarray, depth: np.ndarray, depth_max: int) -> np.ndarray:
    """P(lead <= k) for k in `0 .. depth_max`, from left-truncated leads (reverse product-limit:
    P(lead <= k | lead <= k + 1) over wedding months deep enough to show lead k + 1)."""
    share = np.ones(depth_max + 1)
    for k in range(depth_max - 1, -1, -1):
        deep_enough = depth >= k + 1
        up_to_next = np.count_nonzero(deep_enough & (lead <= k + 1))
        up_to_k = np.count_nonzero(deep_enough & (lead <= k))
        share[k] = share[k + 1] * (up_to_k / up_to_next if up_to_next else 1.0)
    return share


def visible_share(
    profile: pd.DataFrame, months: pd.DataFrame, first: int, target: str = "month"
) -> np.ndarray:
    """For rows of `months` (`vendor_type` and a month column): the share of that wedding
    month's demand the history can see (1.0 once it is deeper than every lead seen)."""
    depth = (months[target] - first).to_numpy()
    frame = pd.DataFrame({"vendor_type": months["vendor_type"].to_numpy(), "lead": depth})
    capped = profile.groupby("vendor_type")["lead"].max()
    frame["lead"] = np.minimum(
        frame["lead"], frame["vendor_type"].map(capped).fillna(0).to_numpy(dtype=int)
    )
    joined = frame.merge(profile, on=["vendor_type", "lead"], how="left")
    share = joined["visible_share"].to_numpy(dtype=float)
    return np.where(depth < 0, 0.0, np.nan_to_num(share, nan=1.0))


def completed(count: np.ndarray, share: np.ndarray) -> np.ndarray:
    """A cut-off count scaled up to the whole month; NaN where too little of it was visible."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(share >= MIN_VISIBLE_SHARE, count / share, np.nan)
