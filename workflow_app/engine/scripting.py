"""A safe script environment for BPMN conditions, scripts and timer expressions.

SpiffWorkflow's default environment is plain eval()/exec(): a diagram could run any Python. Here every
expression is parsed first and checked against an allow-list of syntax: no imports, no attribute access,
no names starting with an underscore, no loops/lambdas/definitions, calls only to a few named functions.
What passes is compiled and run with empty builtins, so even the allowed syntax cannot reach the OS.
"""

import ast
import copy
import json
from datetime import timedelta
from functools import lru_cache

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from . import clock

MAX_SEQUENCE = 100_000  # longest string/list a script may build by multiplication


class UnsafeScript(ValueError):
    """An expression uses syntax or names outside the allow-list (raised at deploy and at run time)."""


def _safe_mul(a, b):
    for x, y in ((a, b), (b, a)):
        if isinstance(x, (str, list, tuple, bytes)) and isinstance(y, int) and len(x) * max(y, 0) > MAX_SEQUENCE:
            raise UnsafeScript("sequence multiplication too large")
    return a * b


def _working_days_from_now(n):
    from ..workdays import add_working_days

    return add_working_days(clock.now(), int(n)).isoformat()


def _now_iso():
    return clock.now().isoformat()


def _days_from_now(n):
    return (clock.now() + timedelta(days=int(n))).isoformat()


SAFE_FUNCTIONS = {
    "len": len,
    "abs": abs,
    "min": min,
    "max": max,
    "sum": sum,
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
        if isinstance(node.value, (str, bytes)) and len(node.value) > MAX_SEQUENCE:
            raise UnsafeScript("constant too large")
        self.generic_visit(node)

    def visit_Assign(self, node):
        for target in node.targets:
            for sub in ast.walk(target):
                if isinstance(sub, ast.Name) and sub.id in self.functions:
                    raise UnsafeScript(f"cannot assign to function name: {sub.id}")
        self.generic_visit(node)


class _MulToCall(ast.NodeTransformer):
    def visit_BinOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.Mult):
            return ast.copy_location(
                ast.Call(func=ast.Name(id="__safe_mul__", ctx=ast.Load()), args=[node.left, node.right], keywords=[]),
                node,
            )
        return node

    def visit_AugAssign(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.Mult):
            load_target = copy.deepcopy(node.target)
            for sub in ast.walk(load_target):
                if hasattr(sub, "ctx"):
                    sub.ctx = ast.Load()
            call = ast.Call(
                func=ast.Name(id="__safe_mul__", ctx=ast.Load()), args=[load_target, node.value], keywords=[]
            )
            return ast.copy_location(ast.Assign(targets=[node.target], value=call), node)
        return node


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
    tree = _MulToCall().visit(check(source, mode))
    ast.fix_missing_locations(tree)
    return compile(tree, "<bpmn>", mode)


def _globals(functions, context):
    env = {"__builtins__": {}, "__safe_mul__": _safe_mul}
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
