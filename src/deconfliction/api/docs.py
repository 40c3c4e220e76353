"""The interactive API documentation at /docs, from package files only.

Swagger UI 5 (OpenAPI 3.1, which FastAPI writes) comes from the `swagger-ui-py` package (its files,
served at /docs/static/; Apache-2.0, its LICENSE beside them), the page
and its start script are ours, and all of it is served under the web console's Content-Security-Policy:
the page loads nothing from another origin (FastAPI's default page pulls Swagger UI from a CDN, which
leaves it blank offline and runs third-party script next to a pasted token), and the validator badge,
which would call out to swagger.io, is off.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles

from ..web import HEADERS, _WithHeaders

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>deconfliction API</title>
  <link rel="stylesheet" href="/docs/static/swagger-ui.css">
  <link rel="icon" href="/docs/static/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/static/swagger-ui-bundle.js"></script>
  <script src="/docs/start.js"></script>
</body>
</html>
"""

# A file, not an inline script: the CSP allows scripts from this origin only.
START = """window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  validatorUrl: null,
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
});
"""


def swagger_files() -> Path:
    return Path(str(resources.files("swagger_ui") / "static"))


def install(app: FastAPI) -> None:
    @app.get("/docs", include_in_schema=False)
    def docs_page() -> HTMLResponse:
        return HTMLResponse(PAGE, headers=HEADERS)

    @app.get("/docs/start.js", include_in_schema=False)
    def docs_start() -> Response:
        return Response(START, media_type="text/javascript", headers=HEADERS)

    app.mount("/docs/static", _WithHeaders(StaticFiles(directory=swagger_files())), name="swagger-ui")
