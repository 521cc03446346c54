"""Swagger UI at /docs and ReDoc at /redoc, served from installed files (no internet).

Swagger UI's files come from the swagger-ui-py package (Swagger UI 5, which renders
OpenAPI 3.1); ReDoc's standalone bundle is vendored under ``static/redoc`` from the npm
package ``redoc`` (MIT, see ``static/redoc/LICENSE``).

Neither page may make the browser fetch anything from elsewhere: the pages reference only
the assets below, Swagger UI's online validator is switched off, and ReDoc's bundle is
served with the one external URL it loads (the Redocly logo in the sidebar footer) replaced,
see ``_redoc_bundle``. ``tests/test_docs_browser.py`` checks this in headless Chromium.
"""

from __future__ import annotations

import functools
import hashlib
import html
import importlib.util
import json
import os
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

__all__ = ["docs_routes"]

_REDOC_DIR = Path(__file__).parent / "static" / "redoc"
_REDOC_BUNDLE = "redoc.standalone.js"
_SWAGGER_FILES = (
    "swagger-ui-bundle.js",
    "swagger-ui-standalone-preset.js",
    "swagger-ui.css",
    "favicon-32x32.png",
    "favicon-16x16.png",
    "oauth2-redirect.html",
)
# ReDoc 2.x renders <img src="https://cdn.redoc.ly/redoc/logo-mini.svg"> in the sidebar footer,
# with no option to turn it off. An empty data: URL is no image, so the browser fires the
# image's error event without any request, and ReDoc's onError handler then drops the image
# (the "API docs by Redocly" text link stays).
_REDOC_LOGO_URL = b'"https://cdn.redoc.ly/redoc/logo-mini.svg"'
_NO_IMAGE_URL = b'"data:,"'


def _swagger_dir() -> Path:
    # Found, not imported: swagger_ui's __init__ loads handlers for a dozen frameworks.
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("swagger-ui-py is not installed; /docs needs it")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


def _swagger_page(title: str, openapi_url: str) -> str:
    config = {
        "url": openapi_url,
        "dom_id": "#swagger-ui",
        "deepLinking": True,
        "displayRequestDuration": True,
        "validatorUrl": None,  # never call swagger.io's online validator
        "layout": "BaseLayout",
        "oauth2RedirectUrl": "/docs/static/oauth2-redirect.html",
    }
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} - Swagger UI</title>
<link rel="stylesheet" href="/docs/static/swagger-ui.css">
<link rel="icon" type="image/png" href="/docs/static/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/static/swagger-ui-bundle.js"></script>
<script>
const config = {json.dumps(config)};
config.presets = [SwaggerUIBundle.presets.apis];
window.ui = SwaggerUIBundle(config);
</script>
</body>
</html>
"""


def _redoc_page(title: str, openapi_url: str) -> str:
    # The empty icon keeps the browser from asking for /favicon.ico (a 404).
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} - ReDoc</title>
<link rel="icon" href="data:,">
</head>
<body>
<redoc spec-url="{html.escape(openapi_url)}"></redoc>
<script src="/redoc/static/{_REDOC_BUNDLE}"></script>
</body>
</html>
"""


@functools.cache
def _redoc_bundle() -> tuple[bytes, str]:
    """ReDoc's bundle as served (the logo URL replaced), and its ETag."""
    body = (_REDOC_DIR / _REDOC_BUNDLE).read_bytes().replace(_REDOC_LOGO_URL, _NO_IMAGE_URL)
    return body, f'"{hashlib.sha256(body).hexdigest()[:32]}"'


class _OnlyFiles(StaticFiles):
    """StaticFiles limited to a list of names, so the package's other files stay private.

    Symlinks are followed: a strict editable install (and some packagers) put a link to each
    file in the package directory, which plain StaticFiles would refuse with a 404. Only the
    listed names are ever looked up, so following links cannot escape the directory.
    """

    def __init__(self, directory: Path, names: tuple[str, ...]) -> None:
        missing = [name for name in names if not (directory / name).is_file()]
        if missing:
            raise RuntimeError(f"documentation assets missing from {directory}: {missing}")
        super().__init__(directory=directory, follow_symlink=True)
        self._names = frozenset(names)

    def lookup_path(self, path: str) -> tuple[str, os.stat_result | None]:
        if path not in self._names:
            return "", None
        return super().lookup_path(path)


def docs_routes(*, openapi_url: str, title: str) -> list[BaseRoute]:
    """Routes for ``/docs`` and ``/redoc`` and their assets."""
    swagger_html = _swagger_page(title, openapi_url)
    redoc_html = _redoc_page(title, openapi_url)
    if not (_REDOC_DIR / _REDOC_BUNDLE).is_file():  # fail at startup, not on the first visit
        raise RuntimeError(f"the ReDoc bundle {_REDOC_DIR / _REDOC_BUNDLE} is missing")

    async def swagger(_: Request) -> Response:
        return HTMLResponse(swagger_html)

    async def redoc(_: Request) -> Response:
        return HTMLResponse(redoc_html)

    async def redoc_bundle(request: Request) -> Response:
        body, etag = _redoc_bundle()
        headers = {"ETag": etag, "Cache-Control": "no-cache"}
        if etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        return Response(body, media_type="text/javascript; charset=utf-8", headers=headers)

    return [
        Route("/docs", swagger, methods=["GET"], include_in_schema=False),
        Mount("/docs/static", _OnlyFiles(_swagger_dir(), _SWAGGER_FILES)),
        Route("/redoc", redoc, methods=["GET"], include_in_schema=False),
        Route(
            f"/redoc/static/{_REDOC_BUNDLE}", redoc_bundle, methods=["GET"], include_in_schema=False
        ),
        Mount("/redoc/static", _OnlyFiles(_REDOC_DIR, (f"{_REDOC_BUNDLE}.LICENSE.txt",))),
    ]
