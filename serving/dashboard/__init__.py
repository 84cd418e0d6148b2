"""The supplier dashboard: a static page served by the API at `/`, no build step.

The page exchanges an API key for an access token and a refresh token (`/api/auth/token`) and
reads the same JSON endpoints any BI tool reads, plus the live WebSocket feed. Chart.js 4.6.1
is vendored under `static/vendor/` with its MIT licence (taken from the npm registry with
`npm pack chart.js@4`), so nothing loads from a CDN, and the page and its files carry a strict
Content-Security-Policy: scripts, styles and connections from this origin only, no inline
script, no framing.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.types import Scope

STATIC_DIR = Path(__file__).resolve().parent / "static"

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


class DashboardFiles(StaticFiles):
    """The dashboard's scripts and styles, with the page's security headers."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        """The file (or 304/404) with `SECURITY_HEADERS` added."""
        response = await super().get_response(path, scope)
        response.headers.update(SECURITY_HEADERS)
        return response


def install_dashboard(app: FastAPI) -> None:
    """Serve the page at `/` and its scripts and styles under `/dashboard/`."""
    app.mount("/dashboard", DashboardFiles(directory=STATIC_DIR), name="dashboard")

    @app.get("/", include_in_schema=False)
    async def dashboard_page() -> FileResponse:
        """The dashboard page (it carries no data; the data comes from the API with a key)."""
        return FileResponse(
            STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache", **SECURITY_HEADERS}
        )
