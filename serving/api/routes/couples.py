"""`DELETE /api/couples/{couple_id}`: GDPR erasure of a couple's personal data (platform admin)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, status

from serving.api.deps import PlatformAdmin, State, warehouse_unavailable
from serving.api.schemas import ErasureAnswer, ErrorAnswer
from serving.core.db import WAREHOUSE_DOWN
from serving.security.erasure import CoupleNotFound, erase_couple

router = APIRouter(prefix="/api/couples", tags=["privacy"])


@router.delete(
    "/{couple_id}",
    response_model=ErasureAnswer,
    summary="Erase a couple's personal data (GDPR), audited",
    responses={
        401: {"model": ErrorAnswer},
        403: {"model": ErrorAnswer, "description": "Needs a platform key with the admin role"},
        404: {"model": ErrorAnswer, "description": "No such couple (or already erased)"},
        503: {"model": ErrorAnswer},
    },
)
async def erase(
    state: State,
    principal: PlatformAdmin,
    couple_id: Annotated[str, Path(pattern=r"^cpl_[0-9]{6}$", examples=["cpl_004567"])],
) -> ErasureAnswer:
    """Null the couple's names and email and replace its id with a random pseudonym in every
    raw table and JSON column, the dead letters, the quarantine and the marts, in one
    transaction; cached answers are invalidated, reloaded exports stay erased, and the audit
    log records it. Irreversible.
    """
    try:
        async with state.pool.connection() as conn:
            rows = await erase_couple(conn, couple_id, principal)
    except CoupleNotFound as error:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, detail=f"couple {couple_id} not found"
        ) from error
    except WAREHOUSE_DOWN as error:
        raise warehouse_unavailable("the warehouse is unavailable; nothing was erased") from error
    return ErasureAnswer(couple_id=couple_id, erased_at=dt.datetime.now(dt.UTC), rows=rows)
