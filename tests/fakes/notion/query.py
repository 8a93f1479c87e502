"""Data source query filters: the property conditions a postmortem lookup uses, and and/or."""

from __future__ import annotations

from typing import Any

from . import shapes

_TEXT_TYPES = ("title", "rich_text")


def matches(condition: Any, properties: dict[str, Any], schema: dict[str, str]) -> bool:
    if condition is None:
        return True
    if not isinstance(condition, dict):
        raise shapes.invalid("body.filter should be an object.")
    if "and" in condition:
        return all(matches(part, properties, schema) for part in condition["and"])
    if "or" in condition:
        return any(matches(part, properties, schema) for part in condition["or"])
    name = condition.get("property")
    if name not in schema:
        raise shapes.invalid(f"Could not find property with name or id: {name}")
    kind = schema[name]
    if kind not in condition:
        raise shapes.invalid(f"body.filter.{kind} should be defined, instead was undefined.")
    test = condition[kind]
    value = properties.get(name, {}).get(kind)
    if kind in _TEXT_TYPES:
        return _text(shapes.plain(value or []), test)
    if kind == "select":
        return _equals(value["name"] if value else None, test)
    return _equals(value, test)


def _text(value: str, test: dict[str, Any]) -> bool:
    if "equals" in test:
        return value == test["equals"]
    if "contains" in test:
        return str(test["contains"]) in value
    if "is_empty" in test:
        return not value
    raise shapes.invalid(f"unsupported text condition {sorted(test)}")


def _equals(value: Any, test: dict[str, Any]) -> bool:
    if "equals" in test:
        return bool(value == test["equals"])
    if "is_empty" in test:
        return value is None
    raise shapes.invalid(f"unsupported condition {sorted(test)}")
