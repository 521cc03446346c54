"""Swagger UI at /docs and ReDoc at /redoc, served from installed files (no internet).

Swagger UI's files come from the swagger-ui-py package (Swagger UI 5, which renders
OpenAPI 3.1); ReDoc's standalone bundle is vendored under ``static/redoc`` from the npm
package ``redoc`` (MIT, see ``static/redoc/LICENSE``).
"""

from __future__ import annotations

import html
import json
import os
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

__all__ = ["docs_routes"]

_REDOC_DIR = Path(__file__).parent / "static" / "redoc"
_SWAGGER_FILES = (
    "swagger-ui-bundle.js",
    "swagger-ui-standalone-preset.js",
    "swagger-ui.css",
    "favicon-32x32.png",
    "favicon-16x16.png",
    "oauth2-redirect.html",
)


def _swagger_dir() -> Path:
    import swagger_ui

    return Path(swagger_ui.__file__).parent / "static"


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
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{html.escape(title)} - ReDoc</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
</head>
<body>
<redoc spec-url="{html.escape(openapi_url)}"></redoc>
<script src="/redoc/static/redoc.standalone.js"></script>
</body>
</html>
"""


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

    async def swagger(_: Request) -> Response:
        return HTMLResponse(swagger_html)

    async def redoc(_: Request) -> Response:
        return HTMLResponse(redoc_html)

    return [
        Route("/docs", swagger, methods=["GET"], include_in_schema=False),
        Mount("/docs/static", _OnlyFiles(_swagger_dir(), _SWAGGER_FILES)),
        Route("/redoc", redoc, methods=["GET"], include_in_schema=False),
        Mount(
            "/redoc/static",
            _OnlyFiles(_REDOC_DIR, ("redoc.standalone.js", "redoc.standalone.js.LICENSE.txt")),
        ),
    ]
