"""The import graph of workflow_app has no cycle (imports inside functions count too), and its modules
import one another at the top, never inside a function."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "workflow_app"


def _modules() -> dict[str, tuple[Path, bool]]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


def import_graph() -> dict[str, set[str]]:
    """Module -> the workflow_app modules it imports (``from . import x`` names the submodule x)."""
    modules = _modules()
    graph = {}
    for name, (path, is_package) in modules.items():
        here = name.split(".") if is_package else name.split(".")[:-1]
        deps = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                deps.update(a.name for a in node.names if a.name in modules)
            elif isinstance(node, ast.ImportFrom):
                base = here[: len(here) - node.level + 1] if node.level else []
                target = ".".join(base + ([node.module] if node.module else []))
                for alias in node.names:
                    sub = f"{target}.{alias.name}" if target else alias.name
                    deps.add(sub if sub in modules else target)
        graph[name] = {d for d in deps if d in modules and d != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_checker_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_workflow_app_has_no_import_cycle():
    assert cycles(import_graph()) == []


# A function may import one of our modules only for a reason named here (module -> imported module: why).
# Empty today: every import of a workflow_app module sits at the top of its module.
LAZY_IMPORTS_ALLOWED: dict[tuple[str, str], str] = {}


def function_level_imports(path: Path) -> list[tuple[int, str]]:
    """(line, imported module) of every import of a workflow_app module inside a function of ``path``."""
    found = set()
    for fn in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(fn):
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("workflow_app")):
                found.add((node.lineno, "." * node.level + (node.module or "")))
            elif isinstance(node, ast.Import):
                found.update((node.lineno, a.name) for a in node.names if a.name.startswith("workflow_app"))
    return sorted(found)


def test_the_lazy_import_checker_finds_one(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("import json\n\ndef f():\n    from .x import y\n    import re\n    return y\n")
    assert function_level_imports(module) == [(4, ".x")]


def test_workflow_app_imports_its_modules_at_the_top():
    found = [
        f"{name}:{line}: {target}"
        for name, (path, _) in sorted(_modules().items())
        for line, target in function_level_imports(path)
        if (name, target) not in LAZY_IMPORTS_ALLOWED
    ]
    assert found == [], "move these imports to the top of their module (or name the reason in LAZY_IMPORTS_ALLOWED)"
