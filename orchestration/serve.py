"""`make demo`'s last step: serve the Dagster UI and daemon, the API, the MLflow UI and the
Great Expectations Data Docs.

Each runs as its own process, as in a deployment (the Dagster webserver and daemon share the
Postgres-backed instance in `$DAGSTER_HOME`). Ctrl-C stops them all. The Data Docs site listens
where `WEDSYNC_DATA_DOCS_URL` says (the Makefile sets it for the build too, so the checks of
the build and of every later run link there).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

from orchestration.data_docs_site import DATA_DOCS_URL_ENV, DEFAULT_DATA_DOCS_URL
from wedsync.settings import REPO_ROOT, get_settings

BIN = Path(sys.executable).parent
DAGSTER_PORT = 3000
API_PORT = 8000
API_WORKERS = "2"
MLFLOW_PORT = 5000
DEMO_SUPPLIER_TIER = "professional"


def _commands(data_docs_url: str) -> dict[str, list[str]]:
    settings = get_settings()
    data_docs = urlsplit(data_docs_url)
    workspace = str(REPO_ROOT / "workspace.yaml")
    artifacts = REPO_ROOT / ".local" / "mlflow" / "artifacts"
    return {
        "dagster-webserver": [
            str(BIN / "dagster-webserver"),
            "-w",
            workspace,
            "-h",
            "127.0.0.1",
            "-p",
            str(DAGSTER_PORT),
        ],
        "dagster-daemon": [str(BIN / "dagster-daemon"), "run", "-w", workspace],
        "api": [
            str(BIN / "uvicorn"),
            "serving.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(API_PORT),
            "--workers",
            API_WORKERS,
            "--no-access-log",
            # The sans-I/O implementation writes a frame to the socket inside the send call, so
            # the live feed's fan-out sends to 10,000 dashboards in one pass (what
            # `benchmarks/realtime.py` measures); named, not left to `auto`'s choice.
            "--ws",
            "websockets-sansio",
            # Broadcast frames go to thousands of dashboards: compressing each per connection
            # costs more CPU than the bytes it saves on a LAN.
            "--ws-per-message-deflate",
            "false",
        ],
        "mlflow": [
            str(BIN / "mlflow"),
            "server",
            "--backend-store-uri",
            settings.mlflow_tracking_uri,
            "--default-artifact-root",
            artifacts.as_uri(),
            "--host",
            "127.0.0.1",
            "--port",
            str(MLFLOW_PORT),
        ],
        # On this machine only, as every UI here; a URL naming another host is a proxy's.
        "data-docs": [
            str(BIN / "uvicorn"),
            "orchestration.data_docs_site:data_docs_site",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(data_docs.port or 80),
            "--no-access-log",
        ],
    }


def _demo_supplier_key() -> tuple[str, str]:
    """Issue keys for the busiest demo supplier and the platform, so the dashboard has data."""
    from wedsync.api_keys import create_api_key
    from wedsync.warehouse import connect

    with connect() as conn:
        row = conn.execute(
            "select supplier_id from marts.vendor_performance group by supplier_id "
            "order by sum(enquiries) desc limit 1"
        ).fetchone()
        supplier_id = row[0] if row else None
        key = create_api_key(conn, supplier_id, DEMO_SUPPLIER_TIER, "make demo")
        platform_key = create_api_key(conn, None, "platform", "make demo (platform)")
    return f"{supplier_id} ({DEMO_SUPPLIER_TIER}): {key}", f"platform: {platform_key}"


def main() -> None:
    """Start every server, print where they are, and wait until interrupted."""
    data_docs_url = os.environ.get(DATA_DOCS_URL_ENV) or DEFAULT_DATA_DOCS_URL
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT),
        # The API's workers split the rate limits between them while Redis is down.
        "WEDSYNC_API_WORKERS": API_WORKERS,
        # Checks run by the daemon link the Data Docs served below.
        DATA_DOCS_URL_ENV: data_docs_url,
    }
    processes = {
        name: subprocess.Popen(command, cwd=REPO_ROOT, env=env)
        for name, command in _commands(data_docs_url).items()
    }
    supplier_key, platform_key = _demo_supplier_key()
    print(
        "\nWedSync Analytics is running:\n"
        f"  Dagster UI       http://127.0.0.1:{DAGSTER_PORT}\n"
        f"  Dashboard        http://127.0.0.1:{API_PORT}/\n"
        f"  API docs         http://127.0.0.1:{API_PORT}/docs\n"
        f"  MLflow UI        http://127.0.0.1:{MLFLOW_PORT}\n"
        f"  GX Data Docs     {data_docs_url}\n"
        f"  demo API key     {supplier_key}\n"
        f"  platform API key {platform_key}\n"
        "Ctrl-C stops everything.\n",
        flush=True,
    )
    # `kill` (SIGTERM) stops the servers as Ctrl-C does, instead of orphaning them.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        for process in processes.values():
            process.terminate()
        for process in processes.values():
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
