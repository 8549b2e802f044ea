"""The roadmap chains (bpmn/kcp_*.bpmn, professions_*.bpmn, investor_case.bpmn): start rules and operations.

Start hooks (run by instances.start_instance, so the REST API and the web UI obey them):
- ``kcp_campaign`` / ``professions_cycle``: one per year (cycle key = the year), business key from config;
- ``kcp_request``: a college submits only while the campaign of its year accepts requests (its task
  «Закрыть приём заявок» is open); the request becomes a child of the campaign (parent_id), one per college;
- ``professions_proposal``: the same for sector departments and employment centres;
- ``investor_case``: an investor, or a ДИ manager on an investor's behalf, at any time.

Service-task operations (``spiffworkflow:serviceTaskOperator id=...``), each inside the command's unit of work:
``collect_kcp_requests``, ``deliver_kcp_decision``, ``publish_kcp``, ``collect_profession_proposals``,
``deliver_professions_decision``, ``publish_professions``, ``publish_investment``, ``start_followups``, ``remind``.
Names, act types and signatories come from ``bpmn/chains.json`` (configuration, not code).
"""

from . import hooks, investment, kcp, professions, reminders  # the modules register their operations


def register() -> None:
    """Called once by ``create_app``: the start hooks join ``operations.START_HOOKS`` (the operations
    registered themselves with ``@operation`` when the modules above were imported)."""
    hooks.register()


__all__ = ["investment", "kcp", "professions", "register", "reminders"]
