"""/docs (Swagger UI) and /redoc (ReDoc) work offline: checked over HTTP and in headless Chromium.

The browser tests open the pages of a real server (the ``iris_server`` fixture), wait for them
to render every operation of its /openapi.json, and fail on any request that leaves the
server (such requests are aborted, so the tests never touch the internet) and on any console
error. Screenshots go to pytest's tmp_path (``--basetemp`` picks the folder).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Request,
    Route,
    expect,
    sync_playwright,
)
from playwright.sync_api import Error as PlaywrightError

from .conftest import Served

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Generous: a 2-core shared CI machine parses Swagger UI's and ReDoc's ~1 MB bundles slowly.
RENDER_TIMEOUT_MS = 30_000
DOC_PAGES = ("/docs", "/redoc")
ASSET_TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".png": "image/png",
    ".html": "text/html",
    ".json": "application/json",
}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    operation_id: str
    summary: str
    request_content: dict[str, Any]  # media type -> media type object; empty if no body


@pytest.fixture(scope="module")
def operations(iris_server: Served) -> list[Operation]:
    """Every operation of the served document, in document order."""
    document = httpx.get(f"{iris_server.base_url}/openapi.json", timeout=10).json()
    found = [
        Operation(
            method=method,
            path=path,
            operation_id=operation["operationId"],
            summary=operation.get("summary", ""),
            request_content=operation.get("requestBody", {}).get("content", {}),
        )
        for path, path_item in document["paths"].items()
        for method, operation in path_item.items()
        if method in {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
    ]
    assert found, "the iris service's document has no operations"
    return found


# -- without a browser --------------------------------------------------------------------------


@pytest.mark.parametrize("page_path", DOC_PAGES)
def test_docs_html_has_no_external_url(iris_client: httpx.Client, page_path: str) -> None:
    response = iris_client.get(page_path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    external = re.findall(r"(?i)https?://\S*|(?:src|href)=[\"']//\S*", response.text)
    assert not external, f"{page_path} names external URLs: {external}"


@pytest.mark.parametrize("page_path", DOC_PAGES)
def test_docs_assets_are_served(iris_client: httpx.Client, page_path: str) -> None:
    """Every root-relative path quoted in the page (assets, spec URL) answers with its type."""
    html = iris_client.get(page_path).text
    referenced = sorted(set(re.findall(r"[\"'](/[^\"'\s]*)[\"']", html)))
    assert any(path.endswith(".js") for path in referenced), f"no script found in {html}"
    for path in referenced:
        response = iris_client.get(path)
        assert response.status_code == 200, f"{page_path} references {path}: {response.status_code}"
        suffix = Path(urlsplit(path).path).suffix
        assert suffix in ASSET_TYPES, f"{page_path} references {path} of unexpected kind"
        media_type = response.headers["content-type"].split(";")[0].strip()
        assert media_type == ASSET_TYPES[suffix], f"{path} is served as {media_type}"


def test_redoc_bundle_loads_no_cdn_logo(iris_client: httpx.Client) -> None:
    """ReDoc's sidebar logo comes from cdn.redoc.ly unless the served bundle replaces it."""
    bundle = iris_client.get("/redoc/static/redoc.standalone.js")
    assert bundle.status_code == 200
    assert "cdn.redoc.ly" not in bundle.text


def test_docs_assets_are_only_the_listed_files(iris_client: httpx.Client) -> None:
    for path in (
        "/docs/static/",
        "/docs/static/index.html",
        "/docs/static/swagger-editor.js",
        "/docs/static/..%2Fstatic%2Fswagger-ui.css",  # httpx would resolve a plain "../"
        "/redoc/static/..%2F..%2F_docs.py",
        "/redoc/static/LICENSE",
        "/redoc/static/SOURCE",
    ):
        assert iris_client.get(path).status_code == 404, path


# -- in headless Chromium -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.is_file():
        pytest.fail(
            f"{CHROMIUM} is missing, and the browser tests need Debian's chromium: run the "
            "suite with `./run test` (it installs chromium) or `apt-get install chromium`",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=60_000
        )
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Watched:
    """A page whose requests and console errors are recorded; requests off the server fail."""

    page: Page
    base_url: str
    requests: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def is_local(self, url: str) -> bool:
        if url.startswith("data:"):
            return True  # no request leaves the page
        if url.startswith("blob:"):
            url = url.removeprefix("blob:")
        parts, base = urlsplit(url), urlsplit(self.base_url)
        return (parts.scheme, parts.netloc) == (base.scheme, base.netloc)

    def on_request(self, request: Request) -> None:
        self.requests.append(request.url)
        if not self.is_local(request.url):
            self.external.append(request.url)

    def on_route(self, route: Route) -> None:
        if self.is_local(route.request.url):
            route.continue_()
        else:
            route.abort("blockedbyclient")  # recorded by on_request; never reach the internet

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text} at {message.location}")

    def on_page_error(self, error: PlaywrightError) -> None:
        self.errors.append(f"uncaught: {error}")

    def settle_and_check(self) -> None:
        """Once the network is quiet: no request went elsewhere and nothing was logged."""
        self.page.wait_for_load_state("networkidle", timeout=RENDER_TIMEOUT_MS)
        assert self.requests, "no request recorded"
        assert not self.external, f"requests off {self.base_url}: {self.external}"
        assert not self.errors, "\n".join(self.errors)
        # Nothing waiting to load from elsewhere either (a lazy image below the fold, say).
        # Links (<a href>) may point anywhere: following one is the reader's choice.
        loaded = self.page.eval_on_selector_all(
            "[src], link[href]", "els => els.map(e => e.src || e.href)"
        )
        elsewhere = [url for url in loaded if not self.is_local(url)]
        assert not elsewhere, f"the page would load from off {self.base_url}: {elsewhere}"


@pytest.fixture
def watched(browser: Browser, iris_server: Served) -> Iterator[Watched]:
    context: BrowserContext = browser.new_context(viewport={"width": 1280, "height": 1000})
    context.set_default_timeout(RENDER_TIMEOUT_MS)
    page = context.new_page()
    watch = Watched(page, iris_server.base_url)
    context.route("**/*", watch.on_route)
    context.on("request", watch.on_request)
    page.on("console", watch.on_console)
    page.on("pageerror", watch.on_page_error)
    try:
        yield watch
    finally:
        context.close()


def _schema_label(schema: dict[str, Any]) -> str:
    """The type Swagger UI 5 writes for a JSON Schema: ``array<array<number>>``."""
    kind = schema.get("type")
    if kind == "array":
        return f"array<{_schema_label(schema['items'])}>" if "items" in schema else "array"
    return kind if isinstance(kind, str) else "any"


@pytest.mark.browser
def test_swagger_ui_renders_every_operation(
    watched: Watched, operations: list[Operation], tmp_path: Path
) -> None:
    page = watched.page
    page.goto(f"{watched.base_url}/docs", timeout=RENDER_TIMEOUT_MS)
    blocks = page.locator(".opblock")
    expect(blocks).to_have_count(len(operations), timeout=RENDER_TIMEOUT_MS)
    for op in operations:
        block = blocks.filter(
            has=page.locator(f'.opblock-summary-path[data-path="{op.path}"]')
        ).and_(page.locator(f".opblock-{op.method}"))
        expect(block).to_have_count(1)
        expect(block.locator(".opblock-summary-path")).to_have_text(op.path)
        expect(block.locator(".opblock-summary-method")).to_have_text(op.method.upper())
        if op.summary:
            expect(block.locator(".opblock-summary-description")).to_have_text(op.summary)

    # Expand the operation with the most detailed request schema and look at that schema.
    with_body = [op for op in operations if op.request_content]
    assert with_body, "no operation takes a request body"
    op = max(
        with_body,
        key=lambda o: len(_schema_label(next(iter(o.request_content.values()))["schema"])),
    )
    block = blocks.filter(has=page.locator(f'.opblock-summary-path[data-path="{op.path}"]'))
    block.locator(".opblock-summary").click()
    request_body = block.locator(".opblock-section-request-body")
    expect(request_body).to_be_visible(timeout=RENDER_TIMEOUT_MS)
    expect(request_body.locator("select.content-type option")).to_have_text(
        list(op.request_content)
    )
    request_body.get_by_role("tab", name="Schema").click()
    schema = next(iter(op.request_content.values()))["schema"]
    expect(request_body.get_by_role("tabpanel")).to_contain_text(_schema_label(schema))

    page.screenshot(path=tmp_path / "docs.png", full_page=True)
    watched.settle_and_check()


@pytest.mark.browser
def test_redoc_renders_every_operation(
    watched: Watched, operations: list[Operation], tmp_path: Path
) -> None:
    page = watched.page
    page.goto(f"{watched.base_url}/redoc", timeout=RENDER_TIMEOUT_MS)
    sections = page.locator('[data-section-id^="operation/"]')
    expect(sections).to_have_count(len(operations), timeout=RENDER_TIMEOUT_MS)
    for op in operations:
        section = page.locator(f'[data-section-id="operation/{op.operation_id}"]')
        expect(section).to_have_count(1)
        expect(section).to_contain_text(op.path)
        if op.summary:
            expect(section.locator("h2")).to_have_text(op.summary)
        if op.request_content:
            expect(section).to_contain_text("Request Body schema", ignore_case=True)
        # The sidebar lists it too.
        label = page.get_by_text(op.summary or op.path, exact=True)
        menu = page.get_by_role("menuitem").filter(has=label)
        expect(menu).to_have_count(1)

    page.screenshot(path=tmp_path / "redoc.png", full_page=True)
    watched.settle_and_check()
