"""Numbers typed as text (found by a hostile sweep of the HTML routes): «²» passes ``str.isdigit`` but not
``int()``, and ``int()`` refuses more than 4,300 digits. Every form and query that reads a number answers such
input as any bad value (a 4xx, a refusal message), never a 500."""

import re

import pytest
from factories import login_session
from flask import g

from workflow_app.formkit import messages, post
from workflow_app.numbers import whole_number
from workflow_app.services.cases import corrections
from workflow_app.services.errors import ServiceError
from workflow_app.services.roadmap.queries import sort_key
from workflow_app.services.tasks import table_io

HOSTILE = ["²", "٣", "9" * 5000]


def test_a_whole_number_is_ascii_digits_of_a_bounded_length():
    assert whole_number("42") == 42 and whole_number(" 7 ") == 7 and whole_number(42) == 42
    for bad in ("²", "٣", "9" * 5000, "9" * 19, "-1", "+5", "", "4.2", None, True, 4.0):
        assert whole_number(bad) is None, bad
    assert whole_number("-15", signed=True) == -15 and whole_number("+5", signed=True) == 5
    assert whole_number("-", signed=True) is None and whole_number("-²", signed=True) is None


@pytest.mark.parametrize("value", HOSTILE)
def test_forms_and_queries_answer_a_hostile_number_without_a_500(app, client, people, value):
    """Each request passes the CSRF check (a real token), so the number is read by the view or the service."""
    login_session(client, people["admin"])
    g.pop("csrf_token", None)
    page = client.get("/", follow_redirects=True).get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    requests = [
        ("post", "/data-calls/open", {"template": "poo_employment", "year": value, "deadline_days": value}),
        ("post", "/roadmap/1.1", {"action": "remove-evidence", "evidence_id": value}),
        ("post", "/roadmap/1.1", {"action": "evidence", "kind": "case", "ref": value}),
        ("get", f"/audit/?instance={value}&actor={value}&org={value}", None),
        ("post", "/council/meetings/1/attendance", {"present": value, f"substitute-{value}": "admin"}),
    ]
    for method, url, data in requests:
        answer = getattr(client, method)(url, data={**data, "csrf_token": csrf} if data else None)
        body = answer.get_data(as_text=True)
        assert answer.status_code < 500 and "CSRF" not in body, (url, answer.status_code, body[:300])
    with pytest.raises(ServiceError):  # the reassignment's assignee: refused as a bad value, not a ValueError
        corrections._user(value)


def test_row_numbers_and_cells_of_any_length_are_read_without_int_limits():
    huge = "9" * 5000
    rows = post._parse_rows(
        {"type": "object", "properties": {"name": {"type": "string"}}},
        {f"lines-{huge}-name": "last", "lines-10-name": "second", "lines-2-name": "first"},
        "lines",
    )
    assert [r["name"] for r in rows] == ["first", "second", "last"]  # numeric order, not text order
    assert messages._path_key(f"lines/{huge}/name")[1] == (1, 0, huge)
    assert sort_key("1.²") == (1,)
    for text in ("²", huge):
        assert table_io._cell_value({"type": "integer"}, text) == text  # left as typed: the form's check names it
        assert table_io._cell_value({"type": "string", "format": "date"}, f"1.{text}.2026") == f"1.{text}.2026"
    assert table_io._cell_value({"type": "string", "format": "date"}, "1.2.2026") == "2026-02-01"
