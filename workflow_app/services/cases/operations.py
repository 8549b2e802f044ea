"""Operations a BPMN service task may call (``spiffworkflow:serviceTaskOperator id="..."``).

This allow-list is the only way a diagram reaches application code. The chain operations and start
hooks (``services/chains``) are registered by ``create_app``, which imports that package explicitly. Each operation gets an
``OperationContext`` (the unit of work, the instance, the acting user) plus the evaluated parameters and
the task data, runs inside the command's transaction, and returns a JSON-able result that the engine
stores in the task data.
"""

from dataclasses import dataclass
from typing import Any

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


UNSET = object()
START_HOOKS: dict = {}  # process id -> fn(uow, actor, StartRequest): chain rules checked when an instance starts
# (process id, user task id) -> fn(actor, task, data) -> clean data: a chain's own check of a submission, instead
# of the task's deployed form (a data call's answer is checked against the call's own form)
COMPLETE_HOOKS: dict = {}
# process id -> fn(uow, actor, instance, reason): a chain's own rows closed with a terminated case, in the same
# unit of work (a data call stops collecting answers and is no longer chased)
TERMINATE_HOOKS: dict = {}


@dataclass
class StartRequest:
    """What start_instance was asked for; a start hook may check it and fill in or change the fields."""

    data: dict
    business_key: str | None
    title: str | None
    cycle_key: str | None
    parent: Any  # the ProcessInstance the new one is a child of, or None
    check_permission: bool
    initiator_org_id: object = UNSET


def start_hook(name: str):
    return START_HOOKS.get(name)


def terminate_hook(process_id: str):
    return TERMINATE_HOOKS.get(process_id)


def registered() -> set[str]:
    """The names a service task may call (checked at deploy)."""
    return set(REGISTRY)


def complete_hook(process_id: str, task_def: str):
    return COMPLETE_HOOKS.get((process_id, task_def))


def bound(ctx: OperationContext) -> dict:
    """The handlers for the script engine, bound to this command."""
    return {name: (lambda params, data, fn=fn: fn(ctx, params, data)) for name, fn in REGISTRY.items()}
