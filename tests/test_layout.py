"""The package's layout follows the data flow, and imports only go downward.

mesh → problem → weak forms/assembly → linear algebra → solution → output: each module may
import modules of its own layer or of lower layers only (checked on every ``import`` statement,
including those inside functions). See docs/developer.md.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "mqm_fem"

#: Layer of each top-level module or subpackage (lower = nearer the data).
LAYERS = {
    "errors": 0, "_version": 0, "units": 1, "progress": 1, "temperature": 1, "mesh": 2, "fem": 3,
    "linalg": 4, "io": 5, "parallel": 6, "london": 7, "quantum": 8, "gl": 9, "studies": 10,
    "cli": 11, "__init__": 12,
}


def _unit(module: str) -> str:
    """'mqm_fem.fem.forms' -> 'fem' (the layer unit a module belongs to)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__" and len(parts) > 2:
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path):
    """(line, absolute module) for every mqm_fem import in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
                if node.module is None:  # from . import x
                    for alias in node.names:
                        yield node.lineno, f"{target}.{alias.name}"
                    continue
                yield node.lineno, target
            elif node.module and node.module.split(".")[0] == "mqm_fem":
                yield node.lineno, node.module
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "mqm_fem":
                    yield node.lineno, alias.name


def _modules():
    return sorted(PACKAGE.rglob("*.py"))


def test_every_module_belongs_to_a_layer():
    units = {_unit(_module_name(p)) for p in _modules()}
    assert units <= set(LAYERS), f"modules outside the layer table: {units - set(LAYERS)}"
    for stage in ("mesh", "fem", "linalg", "london", "quantum", "gl", "io", "parallel",
                  "studies"):
        assert (PACKAGE / stage / "__init__.py").is_file(), f"stage {stage}/ is missing"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_only_go_down(path):
    own = _unit(_module_name(path))
    upward = []
    for line, target in _imports(path):
        unit = _unit(target)
        if target == "mqm_fem" and own != "__init__":
            upward.append(f"line {line}: imports the top-level package")
        elif unit in LAYERS and LAYERS[unit] > LAYERS[own]:
            upward.append(f"line {line}: {own} (layer {LAYERS[own]}) imports {target} "
                          f"(layer {LAYERS[unit]})")
    assert not upward, f"{path.relative_to(PACKAGE)}: " + "; ".join(upward)


def test_the_checker_sees_an_upward_import(tmp_path):
    """The check must be able to fail: a fake fem module importing the London package."""
    fake = PACKAGE / "fem" / "_layout_probe.py"
    fake.write_text("def f():\n    from ..london import solve_london\n")
    try:
        targets = [t for _, t in _imports(fake)]
    finally:
        fake.unlink()
    assert targets == ["mqm_fem.london"]
    assert LAYERS[_unit(targets[0])] > LAYERS["fem"]
