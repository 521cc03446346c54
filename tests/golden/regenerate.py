"""Regenerate the golden files: ``./run golden`` (or ``python tests/golden/regenerate.py``).

Each golden case is a service target (code-first) or an OpenAPI document (spec-first: with
its ``handlers.py`` stubs); its generated files land in ``tests/golden/<case>/``. Review
the diff as code before committing it.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent

#: case name → service target (path relative to the repo root, then ``:attribute``), or a
#: document (path relative to the repo root).
CASES = {
    "iris": "samples/iris/service.py:svc",
    "image": "samples/image/service.py:svc",
    "multipart": "samples/multipart/service.py:svc",
    "streaming": "samples/streaming/service.py:svc",
    "tabular": "samples/tabular/service.py:svc",
    "json_types": "tests/services/json_types/service.py:svc",
    "spec_petstore_expanded": "../shared/specs/oai-petstore-expanded.yaml",
    "spec_kserve_v2": "../shared/specs/kserve-v2-rest.yaml",
}


def generate(case: str) -> dict[str, bytes]:
    from dosirak.codegen import build_document, generate_files

    from dosirak._loader import load_service

    if CASES[case].endswith((".yaml", ".json")):
        return _spec_first(ROOT / CASES[case])
    path, _, attr = CASES[case].partition(":")
    service = load_service(f"{ROOT / path}:{attr}")
    return generate_files(build_document(service))


def _spec_first(document: Path) -> dict[str, bytes]:
    from dosirak.codegen import generate, load_document
    from dosirak.codegen._render import render_handlers
    from dosirak.codegen._spec_first import HANDLERS, spec_first_files

    generated = generate(load_document(document), source=document.name)
    if generated.service is None:
        raise RuntimeError(f"{document} generated no server")
    files = spec_first_files(generated)
    files[HANDLERS] = render_handlers(generated.service).encode()
    return files


def main() -> None:
    for case in CASES:
        target = HERE / case
        shutil.rmtree(target, ignore_errors=True)
        for relative, content in generate(case).items():
            path = target / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        print(f"regenerated tests/golden/{case}/", file=sys.stderr)


if __name__ == "__main__":
    main()
