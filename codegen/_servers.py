"""Where a document's operations are served: the path of its first ``servers`` URL.

A document whose server is ``https://api.example.com/v2`` (or ``/v2``) describes
``/pets`` as ``/v2/pets``: its clients call that, so the generated server serves it there,
as Connexion and openapi-generator's servers do. An operation's own ``servers``, or its
path item's, take the place of the document's, as the specification says.

Example::

    base_path([{"url": "https://{host}/api/{version}",
                "variables": {"host": {"default": "x.io"}, "version": {"default": "v3"}}}])
    # "/api/v3"
"""

from __future__ import annotations

import urllib.parse
from typing import Any

__all__ = ["base_path", "operation_servers"]


def operation_servers(
    document: dict[str, Any], path_item: dict[str, Any], operation: dict[str, Any]
) -> Any:
    """The ``servers`` that apply to an operation: its own, else its path item's, else the
    document's (an empty or missing list passes to the next)."""
    return operation.get("servers") or path_item.get("servers") or document.get("servers") or []


def base_path(servers: Any) -> str | None:
    """The path of the first server's URL, its variables at their defaults, without a
    trailing slash: ``""`` for the root (no servers, a bare host, ``/``); None when a
    variable in the path has no default to put there."""
    if not isinstance(servers, list) or not servers or not isinstance(servers[0], dict):
        return ""
    first = servers[0]
    url = str(first.get("url", ""))
    variables = first.get("variables")
    if isinstance(variables, dict):
        for name, variable in variables.items():
            if isinstance(variable, dict) and "default" in variable:
                url = url.replace("{" + str(name) + "}", str(variable["default"]))
    path = urllib.parse.unquote(urllib.parse.urlsplit(url).path).rstrip("/")
    if "{" in path or "}" in path:
        return None
    if path and not path.startswith("/"):  # relative to where the document is served: "/"
        path = "/" + path
    return path
