"""Turning service results into the dicts the API schemas dump (usernames looked up in one query)."""

from flask import g, url_for
from sqlalchemy import bindparam, inspect, select

from ..engine import clock
from ..extensions import db
from ..models import User
from ..services.materials import Block
from ..services.process_models import catalogue

_users = User.__table__.c
_USERNAMES = select(_users.id, _users.username).where(_users.id.in_(bindparam("ids", expanding=True)))


def usernames(ids) -> dict:
    ids = {i for i in ids if i is not None}
    names = {}
    actor = g.get("api_actor")
    if actor is not None and actor.user_id in ids:  # the caller's own name needs no query
        names[actor.user_id] = actor.username
        ids.discard(actor.user_id)
    if ids:
        names.update((row[0], row[1]) for row in db.session.connection().execute(_USERNAMES, {"ids": list(ids)}).all())
    return names


def _user_ids(task_rows=(), instance_rows=()) -> list:
    return (
        [t.assignee_id for t in task_rows]
        + [t.owner_id for t in task_rows]
        + [i.initiator_id for i in instance_rows if "initiator_name" not in inspect(i).dict]
    )


def _initiator_name(i, names):
    loaded = inspect(i).dict  # read with the instance where the query asked for it (access._TASK_WITH_INSTANCE)
    return loaded["initiator_name"] if "initiator_name" in loaded else names.get(i.initiator_id)


def tasks(rows, names=None) -> list[dict]:
    if names is None:
        names = usernames(_user_ids(rows))
    now = clock.now()
    return [task(r, names, now) for r in rows]


def task(t, names=None, now=None) -> dict:
    if names is None:
        names = usernames(_user_ids([t]))
    now = now or clock.now()
    return {
        "id": t.id,
        "instance_id": t.instance_id,
        "process_id": t.process_id,
        "task_def": t.task_def,
        "name": t.name,
        "title": t.title,
        "business_key": t.business_key,
        "lane": t.lane,
        "group": t.candidate_group,
        "assignee": names.get(t.assignee_id),
        "owner": names.get(t.owner_id),
        "due_at": t.due_at,
        "follow_up_at": t.follow_up_at,
        "created_at": t.created_at,
        "completed_at": t.completed_at,
        "form_key": t.form_key,
        "status": t.status,
        "collegial_body": t.collegial_body,
        "outcome": t.outcome,
        "overdue": t.status == "open" and t.due_at is not None and t.due_at < now,
    }


def instance(i, open_tasks=None, names=None) -> dict:
    if names is None:
        names = usernames(_user_ids(open_tasks or (), [i]))
    body = {
        "id": i.id,
        "process_id": i.process_id,
        "version": catalogue.model_version(i.model_id),
        "business_key": i.business_key,
        "title": i.title,
        "status": i.status,
        "initiator": _initiator_name(i, names),
        "lock_version": i.lock_version,
        "created_at": i.created_at,
        "updated_at": i.updated_at,
        "completed_at": i.completed_at,
    }
    if open_tasks is not None:
        body["tasks"] = tasks(open_tasks, names)
    return body


def completion(done, inst, next_tasks) -> dict:
    """The answer to completing a task: the task, its instance and the tasks that are open now."""
    names = usernames(_user_ids([done, *next_tasks], [inst]))
    return {"task": task(done, names), "instance": instance(inst, names=names), "next_tasks": tasks(next_tasks, names)}


def comment(c) -> dict:
    return {"id": c.id, "author": c.author.username if c.author else None, "body": c.body, "created_at": c.created_at}


def attachment(a) -> dict:
    return {
        "id": a.id,
        "file_name": a.file_name,
        "content_type": a.content_type,
        "size": a.size,
        "sha256": a.sha256,
        "uploaded_by": a.uploaded_by.username if a.uploaded_by else None,
        "created_at": a.created_at,
        "url": url_for("tasks.download_attachment", task_id=a.task_id, attachment_id=a.id),
    }


def paginate_headers(page, per_page, total, exact, has_more, base_url) -> dict:
    """Paging is in headers (the body is a plain list): X-Total-Count (capped, see X-Total-Count-Exact),
    X-Page, X-Per-Page, X-Has-More and an RFC 8288 Link with rel="next"."""
    headers = {"X-Page": str(page), "X-Per-Page": str(per_page), "X-Has-More": "true" if has_more else "false"}
    if total is not None:
        headers["X-Total-Count"] = str(total)
        headers["X-Total-Count-Exact"] = "true" if exact else "false"
    if has_more:
        from urllib.parse import urlencode

        from flask import request

        args = request.args.to_dict()
        args.update(page=page + 1, per_page=per_page)
        headers["Link"] = f'<{base_url}?{urlencode(args)}>; rel="next"'
    return headers


def material(block: Block, xlsx: str) -> dict:
    """One table of case materials (services/materials ``Block``) as the API gives it: labels and shown values."""
    return {
        "key": block.key,
        "title": block.title,
        "note": block.note,
        "columns": [{"key": c.key, "label": c.label, "numeric": c.numeric} for c in block.columns],
        "rows": [
            {
                "cells": [c.text for c in r.cells],
                "links": [c.href for c in r.cells],
                "mark": r.mark,
                "mark_label": r.mark_label,
            }
            for r in block.rows
        ],
        "totals": [c.text for c in block.totals] if block.totals else None,
        "xlsx": xlsx,
    }
