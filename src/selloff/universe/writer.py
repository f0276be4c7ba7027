"""Writing a universe TOML (the layout :mod:`selloff.universe.loader` reads): assets, sectors and edges tables of
strings, lists of strings and string maps. Comments of a file that is rewritten are not kept."""
from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["dumps"]

_BARE = re.compile(r"[A-Za-z0-9_-]+")


def _key(k: str) -> str:
    return k if _BARE.fullmatch(k) else json.dumps(k, ensure_ascii=False)


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)  # a JSON string is a TOML basic string
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"cannot write {type(v).__name__} to a universe TOML")


def dumps(doc: dict[str, Any], header: str = "") -> str:
    """``{"assets": {id: {...}}, "sectors": {id: {...}}, "edges": [{...}]}`` as TOML text."""
    out = [f"# {line}" if line else "#" for line in header.splitlines()]
    for table in ("assets", "sectors"):
        for ident, spec in doc.get(table, {}).items():
            out += ["", f"[{table}.{_key(ident)}]"] + [f"{_key(k)} = {_value(v)}" for k, v in spec.items()]
    for e in doc.get("edges", []):
        out += ["", "[[edges]]"] + [f"{_key(k)} = {_value(v)}" for k, v in e.items()]
    return "\n".join(out).lstrip("\n") + "\n"
