"""The product's folders are layers, and imports only go downward: pure rules at the bottom,
then the HTTP clients, the dynamic resources, the component, and the commands on top. A module
that imports upward would drag I/O into pure logic or make a cycle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["rules", "clients", "providers", "components", "tools", "scripts"]
"""Bottom first; a package may import its own layer and those before it. tools and scripts
are both command layers and do not import each other."""
ALLOWED_EXTRA = {"policies": {"rules"}}
"""The policy pack runs beside the program and shares only its rules."""


def product_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
    return found & {*LAYERS, "policies", "tests"}


def allowed(package: str) -> set[str]:
    if package in ALLOWED_EXTRA:
        return {package, *ALLOWED_EXTRA[package]}
    below = LAYERS[: LAYERS.index(package) + 1]
    return set(below) - ({"tools"} if package == "scripts" else set())


@pytest.mark.parametrize("package", [*LAYERS, "policies"])
def test_imports_only_go_downward(package: str):
    upward = {
        f"{path.relative_to(ROOT)} imports {sorted(imported - allowed(package))}"
        for path in sorted((ROOT / package).glob("*.py"))
        if (imported := product_imports(path)) - allowed(package)
    }
    assert upward == set()


def test_the_rules_do_no_io():
    """rules/urls.py may parse a URL with the parser `requests` sends with (PreparedRequest),
    which is the point of it, but nothing in rules/ may open a connection or start a process."""
    io_modules = {"requests", "socket", "subprocess", "pulumi", "urllib.request", "http.client"}
    parsing_only = {("requests", "PreparedRequest")}
    doing_io = set()
    for path in sorted((ROOT / "rules").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [(alias.name, "") for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [(node.module or "", alias.name) for alias in node.names]
            else:
                continue
            doing_io.update(
                f"{path.name}: {module} {name}".strip()
                for module, name in names
                if module in io_modules and (module, name) not in parsing_only
            )
    assert doing_io == set()
