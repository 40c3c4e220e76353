"""The web console: static files (package data) served by the API app at `/`.

    from deconfliction.web import install, console_url
    install(app)                              # create_app() does this: GET / and /console/…
    print(console_url("http://127.0.0.1:8000"))   # what `serve` and `demo` print

The console is plain HTML + ES modules (static/js/), with Leaflet and a Natural Earth world outline
vendored under static/vendor/ (see refresh_vendor.sh and docs/console.md): it makes no request to any
other origin, so it works offline. The pages themselves are public; every piece of data comes from
the /v1 API with the party token the user signs in with, so the console can show nothing the API
would not. A Content-Security-Policy restricts the pages to this origin, which also stops anything
(an injected string, a future dependency) from loading or sending to elsewhere.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from starlette.middleware.gzip import GZipMiddleware
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

PREFIX = "/console"

# Only this origin: scripts, styles, data and the event stream. Leaflet positions its panes through
# element.style (allowed); 'unsafe-inline' for styles covers the few style attributes it writes.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",  # revalidate: a new version of the server serves new files at the same paths
}


def static_dir() -> Path:
    """The console's files, from the installed package (editable or not)."""
    return Path(str(resources.files("deconfliction") / "web" / "static"))


def console_url(base_url: str, agreement_id: str | None = None) -> str:
    """The console's address on a server whose root is `base_url` (e.g. http://127.0.0.1:8000),
    opening on `agreement_id` when given (the page reads `#agreement=ID`; a fragment never reaches
    the server). The user signs in there with a party token."""
    url = base_url.rstrip("/") + "/"
    return f"{url}#agreement={quote(agreement_id, safe='')}" if agreement_id else url


PRELOADS = "<!-- module preloads -->"


def with_module_preloads(html: str, modules: list[str]) -> str:
    """The page with a `<link rel=modulepreload>` for every module in js/ where it says PRELOADS. The
    modules import one another (main → map → scale → units): without these the browser finds each level
    only after fetching the one above, a round trip a level, seconds on a slow 3G line
    (bench/console_load.py). Listing the directory at start-up keeps a new module from being forgotten."""
    links = "\n  ".join(f'<link rel="modulepreload" href="{PREFIX}/js/{name}">' for name in modules)
    return html.replace(PRELOADS, links, 1)


class _WithHeaders:
    """Adds the console's security headers to every response of the wrapped app."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(k.lower().encode(), v.encode()) for k, v in HEADERS.items()]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install(app: FastAPI) -> None:
    """Serve the console: `/` is the page, `/console/…` its scripts, styles and data. None of these is
    in the OpenAPI document (they are not API operations) and none needs a token."""
    root = static_dir()
    index = root / "index.html"

    page = with_module_preloads(index.read_text(encoding="utf-8"), sorted(p.name for p in (root / "js").glob("*.js")))

    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    def console_page():
        return HTMLResponse(page, headers=HEADERS)

    # Compressed when the browser accepts it: Leaflet and the world outline are ~320 kB, ~100 kB gzipped.
    files = GZipMiddleware(StaticFiles(directory=root, html=False), minimum_size=1024)
    app.mount(PREFIX, _WithHeaders(files), name="console")
