"""The subset of JQL (Jira) and CQL (Confluence) the fakes understand: clauses joined by AND,
``field = value``, ``!=``, ``~`` (contains), ``in (a, b)``, ``not in (...)``, and a trailing
``ORDER BY`` that is accepted and ignored. Anything else is the vendor's 400 for a bad query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<op>!=|=|~|\(|\)|,)
      | (?P<word>[A-Za-z0-9_.\-]+)
    )""",
    re.VERBOSE,
)


class QueryError(ValueError):
    """The query is not one the fake understands; the message says where."""


@dataclass(frozen=True)
class Clause:
    field: str  # lower-cased
    op: str  # "=", "!=", "~", "in", "not in"
    values: tuple[str, ...]


def parse(query: str) -> list[Clause]:
    tokens = _tokens(query.strip())
    lowered = [(kind, text.lower()) for kind, text in tokens]
    if ("word", "order") in lowered:
        tokens = tokens[: lowered.index(("word", "order"))]
    clauses: list[Clause] = []
    at = 0
    while at < len(tokens):
        if clauses:
            if tokens[at] != ("word", "AND") and tokens[at][1].lower() != "and":
                raise QueryError(f"expected AND, found {tokens[at][1]!r}")
            at += 1
        clause, at = _clause(tokens, at)
        clauses.append(clause)
    return clauses


def _tokens(query: str) -> list[tuple[str, str]]:
    out = []
    at = 0
    while at < len(query):
        matched = _TOKEN.match(query, at)
        if matched is None or matched.end() == at:
            if query[at:].strip():
                raise QueryError(f"cannot read the query at {query[at:]!r}")
            break
        kind = matched.lastgroup or ""
        text = matched.group(kind)
        if kind == "string":
            text = re.sub(r"\\(.)", r"\1", text[1:-1])
        out.append((kind, text))
        at = matched.end()
    return out


def _clause(tokens: list[tuple[str, str]], at: int) -> tuple[Clause, int]:
    if at + 2 > len(tokens) or tokens[at][0] != "word":
        raise QueryError("expected a field")
    field = tokens[at][1].lower()
    at += 1
    op = tokens[at][1].lower()
    if op == "not" and at + 1 < len(tokens) and tokens[at + 1][1].lower() == "in":
        op, at = "not in", at + 1
    at += 1
    if op in ("=", "!=", "~"):
        if at >= len(tokens) or tokens[at][0] == "op":
            raise QueryError(f"expected a value after {field} {op}")
        return Clause(field, op, (tokens[at][1],)), at + 1
    if op in ("in", "not in"):
        if at >= len(tokens) or tokens[at] != ("op", "("):
            raise QueryError(f"expected ( after {field} {op}")
        values = []
        at += 1
        while at < len(tokens) and tokens[at] != ("op", ")"):
            if tokens[at] != ("op", ","):
                values.append(tokens[at][1])
            at += 1
        return Clause(field, op, tuple(values)), at + 1
    raise QueryError(f"unsupported operator {op!r}")


def holds(clause: Clause, value: str | list[str] | None) -> bool:
    """Whether a field's value (a list for multi-valued fields like labels) meets the clause."""
    values = [] if value is None else [value] if isinstance(value, str) else value
    lowered = [v.lower() for v in values]
    wanted = [v.lower() for v in clause.values]
    if clause.op == "=":
        return wanted[0] in lowered
    if clause.op == "!=":
        return wanted[0] not in lowered
    if clause.op == "~":
        return any(wanted[0] in v for v in lowered)
    if clause.op == "in":
        return any(w in lowered for w in wanted)
    return not any(w in lowered for w in wanted)
