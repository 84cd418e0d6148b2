"""The supplier dashboard: a static page served by the API at `/`, no build step.

The page signs in with an API key and reads the same JSON endpoints any BI tool reads, plus
the live WebSocket feed. Chart.js 4.6.1 is vendored under `static/vendor/` with its MIT
licence (taken from the npm registry with `npm pack chart.js@4`), so nothing loads from a CDN.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).resolve().parent / "static"


def install_dashboard(app: FastAPI) -> None:
    """Serve the page at `/` and its scripts and styles under `/dashboard/`."""
    app.mount("/dashboard", StaticFiles(directory=STATIC_DIR), name="dashboard")

    @app.get("/", include_in_schema=False)
    async def dashboard_page() -> FileResponse:
        """The dashboard page (it carries no data; the data comes from the API with a key)."""
        return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})
