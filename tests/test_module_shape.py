"""The shape of workflow_app a newcomer relies on: library internals (SQLAlchemy's, SpiffWorkflow's) touched only
in engine/ and each one named in docs/architecture.md, no module over 500 lines without saying why, and no module
exempt from mypy."""

import ast
import inspect
import re
import tomllib
from pathlib import Path

import SpiffWorkflow

from workflow_app.engine import parsing, runtime

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "workflow_app"
ARCHITECTURE = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")

# ``x._name`` outside engine/ that is neither SQLAlchemy's nor SpiffWorkflow's, each with its reason
ALLOWED_OUTSIDE_ENGINE = {
    "_": "our gettext helper (services/materials/labels._), the usual name of a translation function",
    "_get_current_object": "Werkzeug's LocalProxy documents it as the way to reach the object behind current_app",
    "_Element": "lxml's element class; lxml documents it under this name (a type annotation in diagram/)",
}
LONG = 500
REASON = "Kept whole:"


def _private_attributes(path: Path) -> list[tuple[int, str]]:
    """(line, name) of every ``receiver._name`` whose receiver is not ``self``/``cls`` (dunders excluded)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Attribute)
            and re.fullmatch(r"_(?!_)\w*", node.attr)
            and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
        ):
            found.append((node.lineno, node.attr))
    return found


def _own_names() -> set[str]:
    """Every function, method and class name defined in workflow_app (our own privates are not a library's)."""
    names = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.ClassDef):
                names.add(node.name)
    return names


def test_the_private_name_finder_sees_a_library_internal(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f(task, self):\n    self._mine = 1\n    return task._parent, task.__dict__\n")
    assert _private_attributes(module) == [(3, "_parent")]


def test_no_library_internals_outside_engine():
    found = [
        f"{path.relative_to(ROOT)}:{line}: ._{name[1:]}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if "engine" not in path.relative_to(PACKAGE).parts[:1]
        for line, name in _private_attributes(path)
        if name not in ALLOWED_OUTSIDE_ENGINE
    ]
    assert found == [], "only engine/ may use a library's private names (and says why in docs/architecture.md)"


def _spiff_private_overrides() -> set[str]:
    """Private methods of SpiffWorkflow classes that engine/ classes override (e.g. ``_do_engine_steps``)."""
    names = set()
    for module in (runtime, parsing):
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__:
                continue
            library_bases = [b for b in cls.__mro__[1:] if b.__module__.startswith(SpiffWorkflow.__name__)]
            for name in vars(cls):
                if re.fullmatch(r"_(?!_)\w*", name) and any(name in vars(b) for b in library_bases):
                    names.add(name)
    return names


def _private_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        a.name
        for n in ast.walk(tree)
        if isinstance(n, ast.ImportFrom) and (n.module or "").startswith("SpiffWorkflow")
        for a in n.names
        if a.name.startswith("_")
    }


def test_every_library_internal_in_engine_is_named_in_the_architecture_document():
    own = _own_names()
    used = set()
    for path in (PACKAGE / "engine").rglob("*.py"):
        used |= {name for _, name in _private_attributes(path) if name not in own}
        used |= _private_imports(path)
    used |= _spiff_private_overrides()
    assert "_do_engine_steps" in used and "_parent" in used  # the finder sees what is there today
    missing = sorted(name for name in used if not re.search(rf"(?<!\w){name}(?!\w)", ARCHITECTURE))
    assert missing == [], "name each in docs/architecture.md (section 'Library internals') with its reason"


def test_no_module_over_500_lines_without_a_reason():
    long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        lines = text.count("\n")
        if lines > LONG and REASON not in (ast.get_docstring(ast.parse(text)) or ""):
            long.append(f"{path.relative_to(ROOT)}: {lines} lines")
    assert long == [], f"split these by job, or say in the module docstring '{REASON} <why>'"


def test_mypy_exempts_no_module_and_every_type_ignore_names_its_code_and_says_why():
    """`make lint` checks every module of workflow_app: no mypy override switches a module's errors off, and a
    `# type: ignore` (only where mypy is wrong) names the error code and, on the same line, the reason."""
    with (ROOT / "pyproject.toml").open("rb") as f:
        mypy = tomllib.load(f)["tool"]["mypy"]
    assert mypy.get("check_untyped_defs") is True
    for override in mypy.get("overrides", []):
        assert not override.get("ignore_errors"), override["module"]
        assert not set(override.get("disable_error_code", [])) - {"name-defined"}, override["module"]
    unexplained = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "type: ignore" in line and not re.search(r"# type: ignore\[[\w-]+(, [\w-]+)*\]\s+#\s*\S", line):
                unexplained.append(f"{path.relative_to(ROOT)}:{number}")
    assert unexplained == []
