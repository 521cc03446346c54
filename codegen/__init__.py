"""Code generation: descriptors → OpenAPI document → IR → server files.

Example::

    from dosirak.codegen import build_document, generate_files, write_files

    document = build_document(svc)
    write_files(generate_files(document), "build/")
"""

from ._document import build_document
from ._generate import Generated, document_bytes, generate, generate_files, write_files
from ._load import load_document
from ._names import ClassName, PythonIdentifier
from ._problems import GenerationError, Problem
from ._validate import InvalidDocumentError, validate_document

__all__ = [
    "ClassName",
    "Generated",
    "GenerationError",
    "InvalidDocumentError",
    "Problem",
    "PythonIdentifier",
    "build_document",
    "document_bytes",
    "generate",
    "generate_files",
    "load_document",
    "validate_document",
    "write_files",
]
