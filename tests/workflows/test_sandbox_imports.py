"""Modules a workflow imports inside `imports_passed_through()` must really pass through.

`from package import module` does not: the sandbox importer sees only `package`, and Python loads
`module` inside the sandbox, again for every new workflow (a measurable share of the worker's CPU
in bench.declare). Only a full module path (`import package.module as module`, or
`from package.module import name`) passes through.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

WORKFLOWS = Path(__file__).parents[2] / "workflows"


def _passed_through_blocks(tree: ast.Module) -> list[ast.With]:
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.With)
        and any("imports_passed_through" in ast.unparse(item.context_expr) for item in node.items)
    ]


def test_no_module_is_imported_from_its_package_inside_a_passthrough_block() -> None:
    loaded_in_sandbox = []
    for path in sorted(WORKFLOWS.rglob("*.py")):
        for block in _passed_through_blocks(ast.parse(path.read_text())):
            for node in ast.walk(block):
                if not isinstance(node, ast.ImportFrom) or node.module is None:
                    continue
                if not hasattr(importlib.import_module(node.module), "__path__"):
                    continue  # names from a module, not modules from a package
                for alias in node.names:
                    if importlib.util.find_spec(f"{node.module}.{alias.name}") is not None:
                        name = path.relative_to(WORKFLOWS.parent)
                        loaded_in_sandbox.append(f"{name}: from {node.module} import {alias.name}")
    assert loaded_in_sandbox == []
