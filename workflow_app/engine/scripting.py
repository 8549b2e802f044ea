"""A safe script environment for BPMN conditions, scripts and timer expressions.

SpiffWorkflow's default environment is plain eval()/exec(): a diagram could run any Python. Here every
expression is parsed first and checked against an allow-list of syntax: no imports, no attribute access,
no names starting with an underscore, no loops/lambdas/definitions, calls only to a few named functions.
What passes is compiled and run with empty builtins, so even the allowed syntax cannot reach the OS.
"""

import ast
import copy
import json
import re
from datetime import timedelta
from functools import lru_cache
from typing import ClassVar

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from ..workdays import add_working_days
from . import clock

# Bounds of everything an expression does (issue #18.6). Sizes count what the value would be when stored:
# a list shared a million times counts a million times.
MAX_SIZE = 1_000_000  # items + characters in any value an expression builds
MAX_STEPS = 250_000  # comprehension iterations in one evaluation
MAX_INT_BITS = 4096  # integers built by multiplication
MAX_FORMAT_NUMBER = 1_000  # widths and precisions in format specs and %-formats
MAX_LOOP_DEPTH = 2  # nested comprehension loops (refused at deploy: three loops over lists could take 10^15 steps)
MAX_DAYS = 36_600  # days and working days a date function may be asked to move (about a century)
MAX_SEQUENCE = MAX_SIZE


class UnsafeScript(ValueError):
    """An expression uses syntax or names outside the allow-list (raised at deploy and at run time)."""


def size(value, limit: int = MAX_SIZE) -> int:
    """The stored size of ``value`` (items and characters), counting stops just past ``limit``."""
    total, stack = 0, [value]
    while stack:
        item = stack.pop()
        if isinstance(item, (str, bytes)):
            total += len(item) + 1
        elif isinstance(item, dict):
            total += len(item) + 1
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            total += len(item) + 1
            stack.extend(item)
        elif isinstance(item, int) and not isinstance(item, bool):
            total += 1 + item.bit_length() // 64
        else:
            total += 1
        if total > limit:
            break
    return total


def _too_big(what: str):
    return UnsafeScript(f"{what} would be larger than {MAX_SIZE:,} items and characters".replace(",", " "))


def _safe_mul(a, b):
    if isinstance(a, int) and isinstance(b, int) and a.bit_length() + b.bit_length() > MAX_INT_BITS:
        raise UnsafeScript(f"a product of integers longer than {MAX_INT_BITS} bits")
    for x, y in ((a, b), (b, a)):
        if isinstance(x, (str, list, tuple, bytes)) and isinstance(y, int) and size(x) * max(y, 0) > MAX_SIZE:
            raise _too_big("a repetition")
    return a * b


def _safe_add(a, b):
    sequences = (str, list, tuple, bytes)
    if isinstance(a, sequences) and isinstance(b, sequences) and size(a) + size(b) > MAX_SIZE:
        raise _too_big("a concatenation")
    return a + b


_PERCENT = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")
_NUMBERS = re.compile(r"\d+")


def _check_format_numbers(numbers, where: str):
    for number in numbers:
        if number == "*":
            raise UnsafeScript(f"a computed width in {where}")
        if number and int(number) > MAX_FORMAT_NUMBER:
            raise UnsafeScript(f"a width or precision over {MAX_FORMAT_NUMBER} in {where}")


def _safe_mod(a, b):
    if isinstance(a, (str, bytes)):
        text = a.decode("latin-1") if isinstance(a, bytes) else a
        _check_format_numbers((n for m in _PERCENT.finditer(text) for n in m.groups()), "a %-format")
    result = a % b
    if isinstance(result, str) and len(result) > MAX_SIZE:
        raise _too_big("a formatted text")
    return result


def _safe_format(value, conversion: int, spec: str):
    """An f-string field: the conversion (!s, !r, !a), then the format spec, with bounded widths."""
    _check_format_numbers(_NUMBERS.findall(spec), "a format spec")
    if conversion == ord("s"):
        value = str(value)
    elif conversion == ord("r"):
        value = repr(value)
    elif conversion == ord("a"):
        value = ascii(value)
    return format(value, spec)


def _safe_sum(iterable, start=0):
    if not isinstance(start, (int, float)):
        raise UnsafeScript("sum() adds numbers only")
    return sum(iterable, start)


class _Budget:
    """One evaluation's counters: comprehension steps, and the size of every value built."""

    __slots__ = ("steps",)

    def __init__(self):
        self.steps = 0

    def iterate(self, iterable):
        for item in iterable:
            self.steps += 1
            if self.steps > MAX_STEPS:
                raise UnsafeScript(f"the expression takes more than {MAX_STEPS:,} steps".replace(",", " "))
            yield item

    @staticmethod
    def built(value):
        if isinstance(value, (str, bytes, list, tuple, dict, set, frozenset)) and size(value) > MAX_SIZE:
            raise _too_big("a value")
        return value


def _days(n) -> int:
    n = int(n)
    if abs(n) > MAX_DAYS:
        raise UnsafeScript(f"more than {MAX_DAYS} days")
    return n


def _working_days_from_now(n):
    return add_working_days(clock.now(), _days(n)).isoformat()


def _now_iso():
    return clock.now().isoformat()


def _days_from_now(n):
    return (clock.now() + timedelta(days=_days(n))).isoformat()


SAFE_FUNCTIONS = {
    "len": len,
    "abs": abs,
    "min": min,
    "max": max,
    "sum": _safe_sum,
    "round": round,
    "any": any,
    "all": all,
    "sorted": sorted,
    "int": int,
    "float": float,
    "str": str,
    "bool": bool,
    "list": list,
    "dict": dict,
    "set": set,
    "tuple": tuple,
    "now": _now_iso,
    "working_days_from_now": _working_days_from_now,
    "days_from_now": _days_from_now,
}

_ALLOWED_NODES = (
    ast.Module,
    ast.Expression,
    ast.Expr,
    ast.Assign,
    ast.AugAssign,
    ast.AnnAssign,
    ast.If,
    ast.Pass,
    ast.IfExp,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.UnaryOp,
    ast.Not,
    ast.USub,
    ast.UAdd,
    ast.BinOp,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.FloorDiv,
    ast.Mod,
    ast.Compare,
    ast.Eq,
    ast.NotEq,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.In,
    ast.NotIn,
    ast.Is,
    ast.IsNot,
    ast.Name,
    ast.Load,
    ast.Store,
    ast.Del,
    ast.Delete,
    ast.Constant,
    ast.List,
    ast.Tuple,
    ast.Dict,
    ast.Set,
    ast.Subscript,
    ast.Slice,
    ast.JoinedStr,
    ast.FormattedValue,
    ast.Call,
    ast.keyword,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
    ast.comprehension,
)


_CONSTANT_NODES = (
    ast.Constant, ast.List, ast.Tuple, ast.Set, ast.Dict, ast.BinOp, ast.UnaryOp, ast.Load, ast.operator, ast.unaryop
)  # fmt: skip


def _fold(node) -> None:
    """Evaluate a constant expression under the run-time bounds; an UnsafeScript means it can never run."""
    tree = ast.fix_missing_locations(_Guard().visit(ast.Expression(body=copy.deepcopy(node))))
    try:
        eval(compile(tree, "<bpmn>", "eval"), _globals({}, {}))
    except UnsafeScript:
        raise
    except Exception:  # noqa: BLE001, S110  (a type error etc. is the run's business, as before)
        pass


class _Checker(ast.NodeVisitor):
    def __init__(self, functions):
        self.functions = functions

    def generic_visit(self, node):
        if not isinstance(node, _ALLOWED_NODES):
            raise UnsafeScript(f"{type(node).__name__} not allowed")
        super().generic_visit(node)

    def visit_Name(self, node):
        if node.id.startswith("_"):
            raise UnsafeScript(f"name not allowed: {node.id}")
        self.generic_visit(node)

    def visit_Call(self, node):
        if not isinstance(node.func, ast.Name) or node.func.id not in self.functions:
            raise UnsafeScript(f"call not allowed: {ast.unparse(node)[:80]}")
        if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
            raise UnsafeScript("star-arguments not allowed")
        self.generic_visit(node)

    def visit_Constant(self, node):
        if isinstance(node.value, (str, bytes)) and len(node.value) > MAX_SIZE:
            raise UnsafeScript("constant too large")
        self.generic_visit(node)

    def visit_FormattedValue(self, node):
        if isinstance(node.format_spec, ast.JoinedStr):
            constants = [v.value for v in node.format_spec.values if isinstance(v, ast.Constant)]
            _check_format_numbers(_NUMBERS.findall("".join(map(str, constants))), "a format spec")
        self.generic_visit(node)

    def visit_BinOp(self, node):
        if all(isinstance(n, _CONSTANT_NODES) for n in ast.walk(node)):
            _fold(node)  # what the diagram spells out is computed now, within the bounds, or refused
        left, right = node.left, node.right
        if isinstance(node.op, ast.Mod) and isinstance(left, ast.Constant) and isinstance(left.value, str):
            _check_format_numbers((n for m in _PERCENT.finditer(left.value) for n in m.groups()), "a %-format")
        if isinstance(node.op, ast.Mult) and isinstance(left, ast.Constant) and isinstance(right, ast.Constant):
            _safe_mul(left.value, right.value) if not isinstance(left.value, (int, float)) else None
        self.generic_visit(node)

    def _loops(self, node) -> int:
        """The deepest nesting of comprehension loops in ``node``."""
        deepest = 0
        for child in ast.iter_child_nodes(node):
            deepest = max(deepest, self._loops(child))
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            deepest += len(node.generators)
        return deepest

    def _comprehension(self, node):
        if self._loops(node) > MAX_LOOP_DEPTH:
            raise UnsafeScript(f"comprehensions nested more than {MAX_LOOP_DEPTH} loops deep")
        self.generic_visit(node)

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _comprehension

    def visit_Assign(self, node):
        for target in node.targets:
            for sub in ast.walk(target):
                if isinstance(sub, ast.Name) and sub.id in self.functions:
                    raise UnsafeScript(f"cannot assign to function name: {sub.id}")
        self.generic_visit(node)


def _call(name: str, args, node):
    return ast.copy_location(ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=args, keywords=[]), node)


class _Guard(ast.NodeTransformer):
    """Route what can build a large value or loop through the bounded helpers of one evaluation."""

    BINOPS: ClassVar[dict] = {ast.Mult: "__safe_mul__", ast.Add: "__safe_add__", ast.Mod: "__safe_mod__"}

    def visit_BinOp(self, node):
        self.generic_visit(node)
        name = self.BINOPS.get(type(node.op))
        return _call(name, [node.left, node.right], node) if name else node

    def visit_AugAssign(self, node):
        self.generic_visit(node)
        name = self.BINOPS.get(type(node.op))
        if name is None:
            return node
        load_target = copy.deepcopy(node.target)
        for sub in ast.walk(load_target):
            if hasattr(sub, "ctx"):
                sub.ctx = ast.Load()
        call = _call(name, [load_target, node.value], node)
        return ast.copy_location(ast.Assign(targets=[node.target], value=call), node)

    def visit_comprehension(self, node):
        self.generic_visit(node)
        node.iter = _call("__iterate__", [node.iter], node.iter)
        return node

    def _built(self, node):
        self.generic_visit(node)
        if isinstance(getattr(node, "ctx", None), (ast.Store, ast.Del)):
            return node  # an assignment target, not a value
        return _call("__built__", [node], node)

    visit_List = visit_Tuple = visit_Set = visit_Dict = _built
    visit_ListComp = visit_SetComp = visit_DictComp = visit_JoinedStr = visit_Call = _built

    def visit_FormattedValue(self, node):
        self.generic_visit(node)
        spec = node.format_spec if node.format_spec is not None else ast.Constant("")
        value = _call("__safe_format__", [node.value, ast.Constant(node.conversion), spec], node)
        return ast.copy_location(ast.FormattedValue(value=value, conversion=-1, format_spec=None), node)


def check(source: str, mode: str = "eval", functions=None):
    """Parse and check ``source``; return its AST. Raises UnsafeScript (syntax errors included)."""
    functions = SAFE_FUNCTIONS if functions is None else functions
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError as exc:
        raise UnsafeScript(f"syntax error: {exc.msg} (line {exc.lineno})") from None
    _Checker(functions).visit(tree)
    return tree


@lru_cache(maxsize=4096)
def _compile(source: str, mode: str):
    tree = _Guard().visit(check(source, mode))
    ast.fix_missing_locations(tree)
    return compile(tree, "<bpmn>", mode)


def _globals(functions, context):
    budget = _Budget()
    env = {
        "__builtins__": {},
        "__safe_mul__": _safe_mul,
        "__safe_add__": _safe_add,
        "__safe_mod__": _safe_mod,
        "__safe_format__": _safe_format,
        "__iterate__": budget.iterate,
        "__built__": budget.built,
    }
    env.update(functions)
    env.update(context)
    return env


class SafeExpressionEnvironment(BasePythonScriptEngineEnvironment):
    def __init__(self, functions=None):
        super().__init__({})
        self.functions = dict(SAFE_FUNCTIONS if functions is None else functions)

    def evaluate(self, expression, context, external_context=None):
        code = _compile(expression.strip(), "eval")
        return eval(code, _globals(self.functions, {**(external_context or {}), **context}))

    def execute(self, script, context, external_context=None):
        code = _compile(script, "exec")
        env = _globals(self.functions, {**(external_context or {}), **context})
        exec(code, env)
        for key in list(env):
            if key.startswith("__") or key in self.functions:
                continue
            value = env[key]
            if callable(value):
                continue
            context[key] = value
        for key in [k for k in context if k not in env]:
            del context[key]  # `del x` in a script
        return True

    def call_service(self, context, operation_name=None, operation_params=None, task=None, **kwargs):
        raise UnsafeScript(f"service task operation {operation_name!r} is not available")


class SafeScriptEngine(PythonScriptEngine):
    """The script engine every workflow runs with, also right after it is loaded from the database.

    ``services`` maps service-task operation names to callables(params: dict, data: dict) -> JSON-able
    result; the service layer passes its operations in per command (publication, follow-up starts...).
    """

    def __init__(self, services=None):
        super().__init__(environment=SafeExpressionEnvironment())
        self.services = services if services is not None else {}

    def validate(self, expression):
        check(expression, "exec")

    def call_service(self, task, operation_name=None, operation_params=None, **kwargs):
        handler = self.services.get(operation_name)
        if handler is None:
            raise UnsafeScript(f"unknown service operation {operation_name!r}")
        params = {name: spec.get("value") for name, spec in (operation_params or {}).items()}
        return json.dumps(handler(params, task.data))


def check_formula(expression: str) -> None:
    """A formula of an analyst's data file (e.g. the ПОО rating) is one expression within the allow-list;
    raises UnsafeScript otherwise."""
    check(expression, "eval")


def evaluate_formula(expression: str, variables: dict):
    """The value of a formula over ``variables`` in the sandbox (the allow-list, bounded work, no builtins)."""
    return SafeExpressionEnvironment().evaluate(expression, dict(variables))
