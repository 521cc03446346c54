"""Code generation: descriptors → OpenAPI document → IR → server files.

Example::

    from dosirak.codegen import build_document, generate_files, write_files

    document = build_document(svc)
    write_files(generate_files(document), "build/")
"""

from typing import TYPE_CHECKING

# Names load on first use: a server that finds its generated code in the cache needs only
# build_document (no Jinja, no openapi-spec-validator), which keeps its start-up short.
_EXPORTS = {
    "Change": "_diff_report",
    "DiffReport": "_diff_report",
    "diff_documents": "_diff",
    "build_document": "_document",
    "Generated": "_generate",
    "generate": "_generate",
    "generate_files": "_generate",
    "write_files": "_generate",
    "document_bytes": "_serialize",
    "load_document": "_load",
    "ClassName": "_names",
    "PythonIdentifier": "_names",
    "GenerationError": "_problems",
    "Problem": "_problems",
    "InvalidDocumentError": "_validate",
    "validate_document": "_validate",
}

if TYPE_CHECKING:
    from ._diff import diff_documents
    from ._diff_report import Change, DiffReport
    from ._document import build_document
    from ._generate import Generated, generate, generate_files, write_files
    from ._load import load_document
    from ._names import ClassName, PythonIdentifier
    from ._problems import GenerationError, Problem
    from ._serialize import document_bytes
    from ._validate import InvalidDocumentError, validate_document
else:
    from dosirak._lazy import lazy_attributes

    __getattr__ = lazy_attributes(__name__, _EXPORTS)


__all__ = [
    "Change",
    "ClassName",
    "DiffReport",
    "Generated",
    "GenerationError",
    "InvalidDocumentError",
    "Problem",
    "PythonIdentifier",
    "build_document",
    "diff_documents",
    "document_bytes",
    "generate",
    "generate_files",
    "load_document",
    "validate_document",
    "write_files",
]
