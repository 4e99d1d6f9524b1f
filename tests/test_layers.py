"""The package's imports flow downward: no cycle, and no layer imports a layer above it.

Imports inside functions count too (they keep start-up fast, not the design loose); imports
under `if TYPE_CHECKING:` do not (they never run).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "miedx_xl"

LAYERS = [
    # core: no Excel, no files written
    {
        "miedx_xl.errors",
        "miedx_xl.collector",
        "miedx_xl.normalize",
        "miedx_xl.findings",
        "miedx_xl.plan.columns",
        "miedx_xl.plan.model",
        "miedx_xl.plan.schema",
        "miedx_xl.form.layout",
        "miedx_xl.master.layout",
        "miedx_xl.master.figures",
    },
    # io: reading and writing files
    {
        "miedx_xl.files",
        "miedx_xl.archive",
        "miedx_xl.xlsx",
        "miedx_xl.plan.book",
        "miedx_xl.plan.changes",
        "miedx_xl.plan.examples",
        "miedx_xl.form.guard",
        "miedx_xl.form.seal",
        "miedx_xl.form.source",
        "miedx_xl.form.read",
        "miedx_xl.form.pool",
        "miedx_xl.form.check",
        "miedx_xl.form.mark",
        "miedx_xl.form.live",
        "miedx_xl.form.write",
        "miedx_xl.inputs",
        "miedx_xl.consolidation",
        "miedx_xl.rebuild",
        "miedx_xl.master.write",
        "miedx_xl.master.read",
        "miedx_xl.report",
        "miedx_xl.settings",
        "miedx_xl.cycle",
    },
    # faces: each request is one call of the layers below
    {
        "miedx_xl.cli",
        "miedx_xl.xl",
        "miedx_xl.server",
        "miedx_xl.addin",
        "miedx_xl.demo",
        "miedx_xl.startup",
        "miedx_xl.__main__",
    },
]


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(name: str) -> bool:
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node but those under `if TYPE_CHECKING:`."""
    out: list[ast.AST] = []
    todo = [tree]
    while todo:
        node = todo.pop()
        out.append(node)
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and ast.unparse(child.test) == "TYPE_CHECKING":
                todo.extend(child.orelse)
                continue
            todo.append(child)
    return out


def imports() -> dict[str, set[str]]:
    """Module -> the package modules it imports (anywhere in its body)."""
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        name = module_name(path)
        found: set[str] = set()
        for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                if node.module.startswith("miedx_xl"):
                    # `from pkg import mod` imports the submodule, not pkg's own names.
                    subs = {a.name for a in node.names if _is_module(f"{node.module}.{a.name}")}
                    found.update(f"{node.module}.{name}" for name in subs)
                    if len(subs) < len(node.names):
                        found.add(node.module)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name.startswith("miedx_xl"))
        graph[name] = {m for m in found if m != name and m != "miedx_xl"}
    return graph


PACKAGES = {"miedx_xl.plan", "miedx_xl.form", "miedx_xl.master"}
"""Sub-packages whose __init__ holds only a docstring (checked below)."""


def layer_of(module: str) -> int | None:
    if module in PACKAGES:
        return 0
    for i, layer in enumerate(LAYERS):
        if any(module == m or module.startswith(m + ".") for m in layer):
            return i
    return None


def test_every_module_has_a_layer() -> None:
    missing = [m for m in imports() if m != "miedx_xl" and layer_of(m) is None]
    assert missing == []


def test_no_import_cycle() -> None:
    graph = imports()
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*trail[trail.index(nxt) :], nxt] if nxt in trail else [nxt])
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for start in sorted(graph):
        if start not in state:
            visit(start, [start])
    assert cycles == []


def test_no_layer_imports_a_layer_above_it() -> None:
    upward = [
        (m, dep)
        for m, deps in imports().items()
        for dep in deps
        if (a := layer_of(m)) is not None and (b := layer_of(dep)) is not None and b > a
    ]
    assert upward == []


def test_subpackage_inits_import_nothing() -> None:
    graph = imports()
    assert {m: graph[m] for m in PACKAGES} == {m: set() for m in PACKAGES}
