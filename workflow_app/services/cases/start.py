"""Starting a case as a person asks for it (web and API alike): the start data is read against the process's
start form (``tasks.form_input``), then ``advance.start_instance`` runs the engine, all in one unit of work.

Neighbours: ``advance`` starts and moves the engine state (also for internal starts: follow-ups, data calls,
cycles); ``reads`` lists and shows cases; which processes a person may start is ``process_models.catalogue``.
"""

from ...models import HumanTask, ProcessInstance
from ..errors import Invalid
from ..people.actors import Actor
from ..process_models.catalogue import latest_model, start_form
from ..tasks import form_input
from ..uow import UnitOfWork
from . import advance
from .reads import visible_tasks


def start_process(
    actor: Actor, process_id: str, data: dict | None = None, business_key: str | None = None, title: str | None = None
) -> tuple[ProcessInstance, list[HumanTask]]:
    """Start the latest version of ``process_id``; returns the instance and its open tasks the actor sees."""
    if business_key is not None and (not isinstance(business_key, str) or len(business_key) > 200):
        raise Invalid("bad business key", fields={"business_key": "a string of at most 200 characters"})
    if title is not None and (not isinstance(title, str) or len(title) > 500):
        raise Invalid("bad title", fields={"title": "a string of at most 500 characters"})
    with UnitOfWork(actor) as uow:
        # A client sends only the fields of the start form, validated as any task form; the chains' start
        # rules and internal starts (follow-ups, data calls, cycles) add the server's own data afterwards.
        model = latest_model(process_id)
        clean = form_input.read_start(start_form(model), advance.check_data(data), actor)
        instance = advance.start_instance(
            uow, actor, process_id, clean, business_key=business_key or None, title=title or None, model=model
        )
        open_now = visible_tasks(actor, uow.open_tasks.get(instance.id, []))
        uow.commit(keep=(instance, *open_now))  # the answer: what this command wrote, nothing read back
    return instance, open_now
