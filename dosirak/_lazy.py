"""Public names of a package loaded on first use (PEP 562 module ``__getattr__``).

A served service then imports only the modules it uses, which keeps start-up short.

Example::

    __getattr__ = lazy_attributes(__name__, {"Image": "_image"})
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping

__all__ = ["lazy_attributes"]


def lazy_attributes(package: str, exports: Mapping[str, str]) -> Callable[[str], object]:
    """A module ``__getattr__`` that imports ``package.<exports[name]>`` for ``name``.

    The value found is kept in the package's namespace, so a name is looked up once.
    """

    def __getattr__(name: str) -> object:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
