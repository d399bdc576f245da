"""Bring argument values to the types their JSON schema asks for, then check them.

Small models write "10" for an integer, "true" for a boolean, a JSON string for an
array; Qwen3 XML values are untyped text by design. The schema decides the type.
Supported: string, integer, number, boolean, array (items), object (properties,
required), null, type lists, anyOf/oneOf, nullable, enum.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from smallcoder.protocol import lenient_json

_INT = re.compile(r"[-+]?\d+")
_ALIASES = {
    "str": "string", "text": "string", "int": "integer", "float": "number", "double": "number",
    "bool": "boolean", "list": "array", "dict": "object", "none": "null",
}
_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}
_PY_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,),
    "array": (list, tuple), "object": (dict,),
}


class CoercionError(ValueError):
    pass


def coerce_object(args: dict[str, Any], schema: dict[str, Any], raw: bool = False) -> tuple[dict[str, Any], list[str]]:
    """Coerce and check an arguments object. Returns the new object and a list of problems."""
    props: dict[str, Any] = schema.get("properties") or {}
    if not props and "type" not in schema:
        return dict(args), []  # no schema at all: nothing to check against
    if not props and not schema.get("additionalProperties"):
        return {}, []  # a tool without parameters: whatever was passed cannot change the call
    required = [r for r in schema.get("required") or [] if isinstance(r, str)]
    extra = schema.get("additionalProperties", False)
    out: dict[str, Any] = {}
    problems: list[str] = []
    unknown: list[str] = []
    for key, value in args.items():
        name = _match_key(str(key), props)
        if name is None:
            if extra:
                out[str(key)] = value
            else:
                unknown.append(str(key))
            continue
        sub = props[name] if isinstance(props[name], dict) else {}
        # Untyped "null" means "not given" unless it is the text of a required string.
        text_null = _is_null(value, raw) and (not _has_string(sub) or name not in required)
        if (value is None or text_null) and not _allows_null(sub):
            if name in required:
                problems.append(f"argument '{name}' must not be null")
            continue  # an optional argument given as null means "not given"
        try:
            out[name] = coerce_value(value, sub, raw)
        except CoercionError as exc:
            problems.append(f"argument '{name}' {exc}")
    missing = [r for r in required if r not in out]
    for key in unknown:
        hint = _closest(key, [p for p in props if p not in out])
        if hint is None and len(unknown) == 1 and len(missing) == 1:
            hint = missing[0]  # {"file": …} where "path" is the one thing missing
        problems.append(f"unknown argument '{key}'" + (f" (did you mean '{hint}'?)" if hint else ""))
    for name in required:
        if name not in out and not any(p.startswith(f"argument '{name}'") for p in problems):
            problems.append(f"missing required argument '{name}'")
    if unknown or any(p.startswith("missing") for p in problems):
        problems.append("valid arguments: " + (", ".join(_describe(props, required)) or "none"))
    return out, problems


def coerce_value(value: Any, schema: dict[str, Any], raw: bool = False) -> Any:
    """Return value converted to one of the schema's types, or raise CoercionError saying why not."""
    branches = _branches(schema)
    if not branches:
        return value
    if _is_null(value, raw) and any(t == "null" for t, _ in branches):
        return None
    if isinstance(value, str) and raw:
        # Untyped text: try the stricter types first, as "5" for int|string means 5.
        branches.sort(key=lambda b: b[0] == "string")
    else:
        branches.sort(key=lambda b: not _matches(value, b[0]))
    errors: list[str] = []
    for type_name, sub in branches:
        try:
            return _check_enum(_convert(value, type_name, sub, raw), sub)
        except CoercionError as exc:
            errors.append(str(exc))
    if len(errors) == 1:
        raise CoercionError(errors[0])
    names = " or ".join(dict.fromkeys(t for t, _ in branches))
    raise CoercionError(f"must be {names}, got {_show(value)}")


def _convert(value: Any, type_name: str, schema: dict[str, Any], raw: bool) -> Any:
    if type_name == "any":
        return value
    if type_name == "string":
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return str(value)
        if isinstance(value, (dict, list)):
            return json.dumps(value, ensure_ascii=False)  # e.g. a JSON file body given as an object
        raise CoercionError(f"must be a string, got {_show(value)}")
    if type_name == "integer":
        return _to_int(value)
    if type_name == "number":
        return _to_number(value)
    if type_name == "boolean":
        return _to_bool(value)
    if type_name == "null":
        if value is None or (isinstance(value, str) and value.strip() in ("null", "None", "")):
            return None
        raise CoercionError(f"must be null, got {_show(value)}")
    if type_name == "array":
        return _to_array(value, schema, raw)
    if type_name == "object":
        return _to_object(value, schema, raw)
    return value  # an unknown type name: nothing sensible to check


def _to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise CoercionError(f"must be an integer, got {_show(value)}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip().replace("_", "")
        if _INT.fullmatch(text):
            return int(text)
        try:
            number = float(text)
        except ValueError:
            number = math.nan
        if number.is_integer():
            return int(number)
    raise CoercionError(f"must be an integer, got {_show(value)}")


def _to_number(value: Any) -> int | float:
    if isinstance(value, bool):
        raise CoercionError(f"must be a number, got {_show(value)}")
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        text = value.strip()
        if _INT.fullmatch(text):
            return int(text)
        try:
            number = float(text)
        except ValueError:
            number = math.nan
        if not math.isnan(number) or text.lower() == "nan":
            return number
    raise CoercionError(f"must be a number, got {_show(value)}")


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise CoercionError(f"must be true or false, got {_show(value)}")


def _to_array(value: Any, schema: dict[str, Any], raw: bool) -> list[Any]:
    items_raw = False
    if isinstance(value, str):
        try:
            parsed = lenient_json.loads(value)
        except ValueError:
            parsed, items_raw = value, True
        value = parsed
    if isinstance(value, tuple):
        value = list(value)
    if not isinstance(value, list):
        value = [value]  # a single item where a list was expected
        items_raw = items_raw or raw
    item_schema = schema.get("items")
    if not isinstance(item_schema, dict):
        return list(value)
    out = []
    for i, item in enumerate(value):
        try:
            out.append(coerce_value(item, item_schema, items_raw))
        except CoercionError as exc:
            raise CoercionError(f"item {i} {exc}") from None
    return out


def _to_object(value: Any, schema: dict[str, Any], raw: bool) -> dict[str, Any]:
    if isinstance(value, str):
        try:
            value = lenient_json.loads(value)
        except ValueError:
            raise CoercionError(f"must be a JSON object, got {_show(value)}") from None
    if not isinstance(value, dict):
        raise CoercionError(f"must be a JSON object, got {_show(value)}")
    if not schema.get("properties"):
        return value
    out, problems = coerce_object(value, {"type": "object", "additionalProperties": True, **schema}, False)
    if problems:
        raise CoercionError("has problems: " + "; ".join(problems))
    return out


def _check_enum(value: Any, schema: dict[str, Any]) -> Any:
    options = schema.get("enum")
    if not isinstance(options, list) or value in options:
        return value
    if isinstance(value, str):
        for option in options:
            if isinstance(option, str) and option.lower() == value.strip().lower():
                return option
    raise CoercionError(f"must be one of {', '.join(json.dumps(o) for o in options)}; got {_show(value)}")


def _branches(schema: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Flatten type lists, anyOf/oneOf and nullable into (type, subschema) pairs."""
    if not isinstance(schema, dict):
        return []
    out: list[tuple[str, dict[str, Any]]] = []
    for key in ("anyOf", "oneOf"):
        for sub in schema.get(key) or []:
            if isinstance(sub, dict):
                out += _branches({**{k: v for k, v in schema.items() if k not in ("anyOf", "oneOf")}, **sub})
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind] if isinstance(kind, str) else []
    for k in kinds:
        if isinstance(k, str):
            out.append((_ALIASES.get(k.lower(), k.lower()), schema))
    if not kinds and not out and "enum" in schema:
        out.append(("any", schema))
    if schema.get("nullable") is True and out:
        out.append(("null", schema))
    return out


def _allows_null(schema: dict[str, Any]) -> bool:
    return not _branches(schema) or any(t == "null" for t, _ in _branches(schema))


def _has_string(schema: dict[str, Any]) -> bool:
    return any(t in ("string", "any") for t, _ in _branches(schema))


def _is_null(value: Any, raw: bool) -> bool:
    return value is None or (raw and isinstance(value, str) and value.strip() in ("null", "None"))


def _matches(value: Any, type_name: str) -> bool:
    if type_name in ("integer", "number") and isinstance(value, bool):
        return False
    if type_name == "integer" and isinstance(value, float):
        return value.is_integer()
    return isinstance(value, _PY_TYPES.get(type_name, ()))


def _match_key(key: str, props: dict[str, Any]) -> str | None:
    if key in props:
        return key
    norm = _norm(key)
    hits = [p for p in props if _norm(p) == norm]
    return hits[0] if len(hits) == 1 else None


def _norm(name: str) -> str:
    return re.sub(r"[\s_\-]", "", name).lower()


def _closest(key: str, options: list[str]) -> str | None:
    import difflib

    hits = difflib.get_close_matches(key, options, n=1, cutoff=0.5)
    return hits[0] if hits else None


def _describe(props: dict[str, Any], required: list[str]) -> list[str]:
    return [p if p in required else p + "?" for p in props]


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
