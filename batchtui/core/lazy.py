"""Lazy package exports (PEP 562): ``from package import name`` loads only the submodule that
defines ``name``, so importing one light class of a package (an exception, a dataclass) does not
import the whole package. The dashboard's start-up and every CLI command pay only for what they
use; type checkers read the same names from the package's ``TYPE_CHECKING`` imports."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def lazy_exports(
    package: str, names: Mapping[str, str], namespace: dict[str, Any]
) -> Callable[[str], Any]:
    """A module ``__getattr__`` resolving ``names`` (name -> submodule, relative to `package`)
    on first use and caching each in the package's `namespace`."""

    def __getattr__(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(f"{package}.{module}"), name)
        namespace[name] = value
        return value

    return __getattr__
