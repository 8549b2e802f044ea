"""Operations a BPMN service task may call (``spiffworkflow:serviceTaskOperator id="..."``).

This allow-list is the only way a diagram reaches application code. Each operation gets an
``OperationContext`` (the unit of work, the instance, the acting user) plus the evaluated parameters and
the task data, runs inside the command's transaction, and returns a JSON-able result that the engine
stores in the task data.
"""
from dataclasses import dataclass

REGISTRY: dict = {}


@dataclass
class OperationContext:
    uow: object
    instance: object
    actor: object


def operation(name: str):
    def register(fn):
        REGISTRY[name] = fn
        return fn

    return register


def bound(ctx: OperationContext) -> dict:
    """The handlers for the script engine, bound to this command."""
    return {name: (lambda params, data, fn=fn: fn(ctx, params, data)) for name, fn in REGISTRY.items()}
