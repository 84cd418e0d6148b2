"""`POST /api/predictions/booking-probability`: score an enquiry with the champion model."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, HTTPException, status
from psycopg.errors import InsufficientPrivilege, UndefinedTable

from ml.online_features import (
    AT_ENQUIRY_MODEL,
    COUPLE_HISTORY_SQL,
    NO_HISTORY,
    SUPPLIER_PROFILE_SQL,
    CoupleHistory,
    SupplierProfile,
    history_cut,
    posted_enquiry_features,
)
from serving.analytics.marts import MartsNotBuilt
from serving.analytics.scoring import ModelUnavailable
from serving.api.answers import not_built
from serving.api.deps import AnalyticsPrincipal, State, forbidden, warehouse_unavailable
from serving.api.routes.metrics import READ_RESPONSES, visible_supplier
from serving.api.schemas import BookingProbabilityAnswer, BookingProbabilityRequest, ErrorAnswer
from serving.core.db import WAREHOUSE_DOWN
from serving.limits.wedding_day import uk_today
from serving.security.tenancy import tenant_scope

router = APIRouter(prefix="/api/predictions", tags=["predictions"])


@router.post(
    "/booking-probability",
    response_model=BookingProbabilityAnswer,
    summary="The probability that an enquiry becomes a booking (champion model)",
    responses={
        **READ_RESPONSES,
        400: {"model": ErrorAnswer, "description": "The body is not JSON"},
    },
)
async def booking_probability(
    state: State, principal: AnalyticsPrincipal, enquiry: BookingProbabilityRequest
) -> BookingProbabilityAnswer:
    """Score a posted enquiry for a supplier with the registered champion model.

    The enquiry is scored as it arrives (`model: at_enquiry`): only what is known then, so a
    posted `first_response_hours` does not change the answer; a posted `couple_id` adds the
    couple's earlier enquiries and bookings of the supplier's vendor type (before
    `created_at`; platform keys only, `403` for a supplier key). Supplier keys score enquiries
    to themselves (the default); platform keys name the supplier. Professional tier and
    above. `503` until a model is promoted.
    """
    if enquiry.couple_id is not None and not principal.is_platform:
        # A couple's history is other suppliers' business: with it a supplier key could ask,
        # for any couple id, whether that couple has already booked one of its competitors.
        raise forbidden(
            "couple_id is scored by the platform only: supplier keys post the enquiry without it"
        )
    supplier_id = visible_supplier(principal, enquiry.supplier_id)
    if supplier_id is None:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail="supplier_id is required with a platform key",
        )
    try:
        async with state.pool.connection() as conn, tenant_scope(conn, principal):
            cursor = await conn.execute(
                SUPPLIER_PROFILE_SQL,
                {"supplier_id": supplier_id, "wedding_date": enquiry.wedding_date},
            )
            row = await cursor.fetchone()
            couple = NO_HISTORY
            if row is not None and enquiry.couple_id is not None:
                cursor = await conn.execute(
                    COUPLE_HISTORY_SQL,
                    {
                        "couple_id": enquiry.couple_id,
                        "vendor_type": row[0],
                        "at": history_cut(enquiry.created_at, dt.datetime.now(dt.UTC)),
                    },
                )
                couple = CoupleHistory(*(await cursor.fetchone() or (0, False)))
    except WAREHOUSE_DOWN as error:
        raise warehouse_unavailable() from error
    except (UndefinedTable, InsufficientPrivilege) as error:
        raise not_built(MartsNotBuilt(["dim_suppliers", "ml_couple_history"])) from error
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"supplier {supplier_id} not found")
    try:
        features = posted_enquiry_features(
            enquiry.model_dump(), SupplierProfile(*row), uk_today(), couple
        )
        version, probability = await state.scorer.score(features)
    except ValueError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(error)) from error
    except ModelUnavailable as error:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, detail=str(error), headers={"Retry-After": "60"}
        ) from error
    return BookingProbabilityAnswer(
        supplier_id=supplier_id,
        probability=probability,
        model=AT_ENQUIRY_MODEL,
        model_version=version,
    )
