"""`wedsync keys`: issue, list and revoke API keys for suppliers and the platform."""

from __future__ import annotations

from typing import Annotated

import typer

from wedsync.api_keys import (
    ROLES,
    TIERS,
    ApiKeyError,
    create_api_key,
    list_api_keys,
    revoke_api_key,
)
from wedsync.warehouse import apply_schema, connect

keys_app = typer.Typer(
    help="API keys (stored hashed; a new key is shown once).", no_args_is_help=True
)


@keys_app.command("create")
def create(
    tier: Annotated[str, typer.Option(help=f"One of: {', '.join(TIERS)}.")],
    supplier: Annotated[
        str | None, typer.Option(help="The supplier the key belongs to (omit for platform).")
    ] = None,
    label: Annotated[str | None, typer.Option(help="A note saying who uses the key.")] = None,
    role: Annotated[
        str | None,
        typer.Option(help=f"One of: {', '.join(ROLES)} (default: the admin role of the tier)."),
    ] = None,
) -> None:
    """Issue a key and print it (the secret is not stored, so keep it now)."""
    with connect() as conn:
        apply_schema(conn)
        try:
            key = create_api_key(conn, supplier, tier, label, role=role)
        except ApiKeyError as error:
            raise typer.BadParameter(str(error)) from error
    typer.echo(key)


@keys_app.command("list")
def list_keys(
    supplier: Annotated[str | None, typer.Option(help="Only this supplier's keys.")] = None,
) -> None:
    """List issued keys (id, owner, tier, role, label, created, used, revoked), newest first."""
    with connect() as conn:
        apply_schema(conn)
        records = list_api_keys(conn, supplier)
    for record in records:
        typer.echo(
            f"{record.key_id}  {record.supplier_id or 'platform':<10}  {record.tier:<12}  "
            f"{record.role:<16}  "
            f"created {record.created_at:%Y-%m-%d %H:%M}  "
            f"last used {record.last_used_at or '-'}  "
            f"{'REVOKED ' + str(record.revoked_at) if record.revoked_at else 'active'}  "
            f"{record.label or ''}"
        )


@keys_app.command("revoke")
def revoke(key_id: Annotated[str, typer.Argument(help="The key id (wsk_<key_id>_...).")]) -> None:
    """Revoke a key so it is refused from now on."""
    with connect() as conn:
        apply_schema(conn)
        revoked = revoke_api_key(conn, key_id)
    if not revoked:
        typer.echo(f"no active key with id {key_id!r}", err=True)
        raise typer.Exit(code=1)
    typer.echo(f"revoked {key_id}")
