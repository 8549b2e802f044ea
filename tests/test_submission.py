"""A task's submission writes only its own form's fields, whatever face it comes through: read-only and
computed fields come from the server, a field the form does not have is refused (services/tasks/commands.py)."""

import pytest
from test_chains import MONDAY, api, instance, kcp_request, open_kcp_campaign  # noqa: F401  (fixtures)

from workflow_app.services.cases import advance

FROZEN_AT = MONDAY
pytestmark = pytest.mark.usefixtures("frozen")  # the clock stands still (conftest.frozen)

KEY = "КЦП-2027/ТПТ"


def _request_task(api):
    open_kcp_campaign(api)
    api.start("college_officer_1", "kcp_request", {"year": 2027})
    return api.task("college_officer_1", KEY, "fill_request")


def test_the_api_cannot_change_a_read_only_or_computed_field(api):
    task = _request_task(api)
    forged = kcp_request()
    forged["year"] = 1999  # read-only: the campaign's year
    forged["total_delta"] = 1000  # computed
    forged["lines"][0]["delta"] = 1000  # computed, inside a row
    api.complete("college_officer_1", task["id"], forged)
    data = advance.instance_data(instance(KEY))
    assert data["year"] == 2027
    assert data["total_delta"] == 25
    assert data["lines"][0]["delta"] == 25


def test_the_api_cannot_write_a_field_of_another_form(api):
    task = _request_task(api)
    answer = api.complete("college_officer_1", task["id"], {**kcp_request(), "approved_kcp": 100}, expect=422)
    assert "approved_kcp" in answer["error"]["fields"], answer
    rows = kcp_request()
    rows["lines"][0]["approved"] = True
    answer = api.complete("college_officer_1", task["id"], rows, expect=422)
    assert "lines/0/approved" in answer["error"]["fields"], answer
    assert "approved_kcp" not in advance.instance_data(instance(KEY))
