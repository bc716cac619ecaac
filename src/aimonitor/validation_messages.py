"""One wording for configuration validation errors (config tables, rules, ``--set``).

Turns a pydantic ``ValidationError`` into ``key.path: message`` lines the user can act on
(``rules[2].threshold: expected a number, got "high"``). It only reads ``exc.errors()``,
so it does not import pydantic itself; :mod:`aimonitor.config` and :mod:`aimonitor.rules`
both use it, so a key reads the same wherever it is checked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

__all__ = ["first_error", "format_error", "format_loc", "format_validation_error"]


class _HasErrors(Protocol):
    def errors(self) -> Any: ...


def _shown(inp: Any) -> str:
    if isinstance(inp, Mapping):
        return "a table"
    return json.dumps(inp, default=str, ensure_ascii=False)


def format_loc(loc: Sequence[Any], prefix: str = "") -> str:
    """``("rules", 2, "threshold")`` -> ``rules[2].threshold`` (after ``prefix`` when given)."""
    out = prefix
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def format_error(err: Mapping[str, Any]) -> str:
    """The message of one pydantic error dict, in the project's wording."""
    typ = err.get("type", "")
    shown = _shown(err.get("input"))
    if typ in ("float_type", "float_parsing"):
        return f"expected a number, got {shown}"
    if typ in ("int_type", "int_parsing", "int_from_float"):
        return f"expected a whole number, got {shown}"
    if typ in ("bool_type", "bool_parsing"):
        return f"expected true or false, got {shown}"
    if typ == "string_type":
        return f"expected a string, got {shown}"
    if typ == "list_type":
        return f"expected a list, got {shown}"
    if typ in ("date_type", "date_parsing", "date_from_datetime_parsing", "date_from_datetime_inexact"):
        return f"expected a date (YYYY-MM-DD), got {shown}"
    if typ == "extra_forbidden":
        return "unknown key (check the spelling; see the commented default config)"
    if typ == "missing":
        return "missing required key"
    if typ in ("model_type", "dict_type"):
        return f"expected a table, got {shown}"
    msg = str(err.get("msg", "invalid value"))
    msg = re.sub(r"^(Value|Assertion) error, ", "", msg)
    return msg[0].lower() + msg[1:] if msg else msg


def _line(err: Mapping[str, Any], prefix: str) -> str:
    loc = tuple(err.get("loc", ()))
    msg = format_error(err)
    # model-level validators put their own "key: ..." prefix in the message
    if not loc and re.match(r"^[a-z_]+(\[\d+\])?(\.[a-z_]+)*: ", msg):
        return msg
    where = format_loc(loc, prefix) or "<top level>"
    return f"{where}: {msg}"


def first_error(exc: _HasErrors, prefix: str = "") -> str:
    """The first problem as ``prefix[.loc]: message``."""
    errors = exc.errors()
    if not errors:
        return "invalid value"
    return _line(errors[0], prefix)


def format_validation_error(path: str, exc: _HasErrors) -> str:
    """One line per problem, each ``path: key.path: message``; the first is what the CLI prints."""
    return "\n".join(f"{path}: {_line(err, '')}" for err in exc.errors())
