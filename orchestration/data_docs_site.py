"""Great Expectations Data Docs over HTTP: the site `make demo` serves and the checks link to.

The Data Docs are a data engineer's tool, like the Dagster and MLflow UIs, and are served like
them: by their own process on 127.0.0.1 (`orchestration/serve.py`), not mounted in the API.
Two reasons. Their pages show raw rows that broke a rule (a couple's guest count, a booking's
value), which the tenant-facing API must not hand to anyone who can reach it without a key.
And GX renders pages with inline scripts and Bootstrap, jQuery and Vega from public CDNs,
which the API's Content-Security-Policy (its own origin only, no inline script) forbids by
design; relaxing that policy for one path would weaken it for the whole origin.

The site still sends what costs the pages nothing: no framing, no MIME sniffing, and no
Referer, so the CDNs GX loads from never learn which rule or table a data engineer looked at.
"""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from wedsync.settings import LOCAL_DIR

#: Where the `quality/data_docs` asset and the checks' validations render the site.
DATA_DOCS_DIR = LOCAL_DIR / "gx" / "data_docs"

#: Base URL the Data Docs are served at; unset, check metadata links the files (`file://`).
DATA_DOCS_URL_ENV = "WEDSYNC_DATA_DOCS_URL"

#: Where `make demo` serves them (the Makefile sets `WEDSYNC_DATA_DOCS_URL` to the same).
DEFAULT_DATA_DOCS_URL = "http://127.0.0.1:8010/"

DATA_DOCS_HEADERS = {
    "Content-Security-Policy": "frame-ancestors 'none'; base-uri 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


class DataDocsFiles(StaticFiles):
    """The rendered Data Docs files, `index.html` for a directory, with `DATA_DOCS_HEADERS`."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        """The file (or 304/404) with the site's headers added."""
        response = await super().get_response(path, scope)
        response.headers.update(DATA_DOCS_HEADERS)
        return response


def data_docs_site(directory: Path = DATA_DOCS_DIR) -> Starlette:
    """The site serving `directory` at `/`: 404 until the Data Docs are first rendered there."""
    directory.mkdir(parents=True, exist_ok=True)
    return Starlette(routes=[Mount("/", app=DataDocsFiles(directory=directory, html=True))])
