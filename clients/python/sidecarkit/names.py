"""Wire names and Python names: the one mapping the library, the sidecar side and the stub generator share.

A method's wire name (``demoEvents.confirm``, ``demo.getAll``) maps to the Python method named by its last part in
snake_case (``confirm``, ``get_all``); a name that would be a Python keyword gets a trailing underscore
(``files.import`` -> ``import_``). The client's callback lookup, the sidecar's ``bind`` and the generated stubs (client
classes and callback Protocols) all use :func:`method_name`, so a generated Protocol's methods are always the ones the
library calls.
"""
from __future__ import annotations

import keyword
import re


def snake(name: str) -> str:
    """snake_case of a name, as a Python identifier: ``getURL`` -> ``get_url``, ``sumLong`` -> ``sum_long``; any
    character that cannot be in an identifier becomes ``_``, a leading digit gets a ``_`` before it, and a keyword
    (``import``, ``class``) a trailing ``_``."""
    text = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name)
    text = re.sub(r"\W", "_", text, flags=re.ASCII).lower()
    if not text or text[0].isdigit():
        text = "_" + text
    return text + "_" if keyword.iskeyword(text) else text


def method_name(wire: str) -> str:
    """The Python method that serves (or calls) the wire method ``wire``: its last part, in snake_case (see snake)."""
    return snake(wire.rsplit(".", 1)[-1])


def identifier(name: str) -> str:
    """A name made into a Python identifier, its case kept: ``shapes.Shape`` -> ``shapes_Shape``; a keyword gets a
    trailing ``_``."""
    text = re.sub(r"\W", "_", name, flags=re.ASCII)
    if not text or text[0].isdigit():
        text = "_" + text
    return text + "_" if keyword.iskeyword(text) else text
