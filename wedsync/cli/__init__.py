"""`wedsync`: the platform's command line (set-up, simulator, API keys).

Every command has `--help`. Commands that need Postgres call `wedsync services up` first
in the Makefile, so they find either the configured servers or the embedded ones.
"""

from __future__ import annotations

import typer

from wedsync.cli.backup import backup_app
from wedsync.cli.cluster import cluster_app
from wedsync.cli.db import db_app
from wedsync.cli.deploy import deploy_app
from wedsync.cli.keys import keys_app
from wedsync.cli.services import services_app
from wedsync.cli.simulate import simulate

app = typer.Typer(
    name="wedsync",
    help="WedSync Analytics: the wedding-industry data platform.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(services_app, name="services")
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")
app.add_typer(backup_app, name="backup")
app.add_typer(deploy_app, name="deploy")
app.add_typer(cluster_app, name="cluster")
app.command("simulate")(simulate)
