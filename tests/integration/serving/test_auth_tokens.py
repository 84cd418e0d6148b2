"""Roles, access tokens, rotated refresh tokens and the append-only audit log."""

from __future__ import annotations

import httpx
import psycopg
import pytest

from tests.integration.serving.conftest import PHOTOGRAPHER, bearer
from wedsync.api_keys import create_api_key, revoke_api_key
from wedsync.warehouse import connect

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

METRICS = "/api/analytics/metrics"


async def test_a_key_buys_an_access_token_that_works_wherever_keys_do(
    api: httpx.AsyncClient, marts: str, keys: dict[str, str]
) -> None:
    issued = await api.post("/api/auth/token", headers=bearer(keys["viewer"]))
    assert issued.status_code == 200
    tokens = issued.json()
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == 900
    assert tokens["role"] == "supplier_viewer"
    assert tokens["refresh_token"].startswith("wsr_")

    answer = await api.get(METRICS, headers=bearer(tokens["access_token"]))
    assert answer.status_code == 200
    assert {row["supplier_id"] for row in answer.json()["vendor_performance"]} == {PHOTOGRAPHER}

    # An access token cannot mint more tokens; a tampered one is refused.
    again = await api.post("/api/auth/token", headers=bearer(tokens["access_token"]))
    assert again.status_code == 401
    forged = tokens["access_token"][:-3] + "AAA"
    refused = await api.get(METRICS, headers=bearer(forged))
    assert refused.status_code == 401
    assert "signature" in refused.json()["detail"].lower()


async def test_refresh_tokens_rotate_and_a_replay_revokes_the_session(
    api: httpx.AsyncClient, warehouse_url: str, keys: dict[str, str]
) -> None:
    first = (await api.post("/api/auth/token", headers=bearer(keys[PHOTOGRAPHER]))).json()
    renewed = await api.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert renewed.status_code == 200
    second = renewed.json()
    assert second["refresh_token"] != first["refresh_token"]

    replay = await api.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert replay.status_code == 401
    assert "already used" in replay.json()["detail"]
    # The replay revoked the whole family, including the successor.
    stolen = await api.post("/api/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert stolen.status_code == 401
    with connect(warehouse_url) as conn:
        rows = conn.execute("select token_hash, revoked_at from app.refresh_tokens").fetchall()
    assert len(rows) == 2
    assert all(revoked is not None for _, revoked in rows)
    # Stored hashed: neither token appears in the table.
    assert not {first["refresh_token"], second["refresh_token"]} & {h for h, _ in rows}


async def test_a_revoked_key_cannot_refresh(
    api: httpx.AsyncClient, warehouse_url: str, keys: dict[str, str]
) -> None:
    tokens = (await api.post("/api/auth/token", headers=bearer(keys[PHOTOGRAPHER]))).json()
    with connect(warehouse_url) as conn:
        revoke_api_key(conn, keys[PHOTOGRAPHER].split("_")[1], actor="tests")
    refused = await api.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refused.status_code == 401
    assert "revoked" in refused.json()["detail"]
    malformed = await api.post("/api/auth/refresh", json={"refresh_token": "nope"})
    assert malformed.status_code == 401


async def test_roles_narrow_what_a_key_may_do(
    api: httpx.AsyncClient, marts: str, keys: dict[str, str]
) -> None:
    event = {
        "event_id": "4f0c7a8e-1f7e-4a63-9d1f-0b5f1c1e9b77",
        "event_type": "profile_view",
        "occurred_at": "2026-05-01T11:00:00Z",
        "supplier_id": PHOTOGRAPHER,
        "properties": {},
    }
    viewer_sends = await api.post("/api/events", json=[event], headers=bearer(keys["viewer"]))
    assert viewer_sends.status_code == 403
    assert "supplier_viewer" in viewer_sends.json()["detail"]
    assert (await api.get("/api/usage", headers=bearer(keys["viewer"]))).status_code == 403

    analyst_erases = await api.delete("/api/couples/cpl_000011", headers=bearer(keys["analyst"]))
    assert analyst_erases.status_code == 403
    assert "platform_admin" in analyst_erases.json()["detail"]
    assert (await api.get("/api/quality", headers=bearer(keys["analyst"]))).status_code == 200
    assert (await api.get(METRICS, headers=bearer(keys["analyst"]))).status_code == 200


def test_issuing_and_revoking_keys_is_audited_and_the_log_is_append_only(
    warehouse_url: str,
) -> None:
    with connect(warehouse_url) as conn:
        key = create_api_key(conn, PHOTOGRAPHER, "free", "audit", actor="tests:alice")
        key_id = key.split("_")[1]
        revoke_api_key(conn, key_id, actor="tests:bob")
        trail = conn.execute(
            "select actor, action, details ->> 'tier' from app.audit_log "
            "where subject = %s order by id",
            (key_id,),
        ).fetchall()
        assert trail == [
            ("tests:alice", "api_key.issued", "free"),
            ("tests:bob", "api_key.revoked", None),
        ]
        before = conn.execute("select count(*) from app.audit_log").fetchone()
        for statement in (
            "update app.audit_log set actor = 'mallory'",
            "delete from app.audit_log",
            "truncate app.audit_log",
        ):
            with (
                pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"),
                conn.transaction(),
            ):
                conn.execute(statement)
        assert conn.execute("select count(*) from app.audit_log").fetchone() == before
