"""The caller's own profile (``GET /me``): who they are, their organisation and groups, whom they deputise today,
and how many new tasks wait for them.

Neighbours: ``administration`` creates and changes accounts; ``tokens`` issues and revokes API tokens;
``sign_in`` signs in and changes the own password.
"""

from sqlalchemy import select

from ...extensions import db
from ...models import Group, User
from ..errors import Unauthorized
from ..tasks import inbox
from .actors import Actor


def profile(actor: Actor) -> dict:
    """``GET /me``: who the caller is, its organisation, groups and whom it deputises today."""
    user = db.session.get(User, actor.user_id) if actor.user_id else None
    if user is None:
        raise Unauthorized("not a user")
    acting = []
    for uid, _org, _groups in actor.acting_for:
        principal = db.session.get(User, uid)
        if principal is not None:
            acting.append(principal.username)
    groups = db.session.execute(select(Group.id, Group.name_ru).where(Group.id.in_(user.group_ids))).all()
    names: dict[str, str] = {row[0]: row[1] for row in groups}
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email,
        "organisation": (
            {
                "id": user.organisation.id,
                "code": user.organisation.code,
                "name": user.organisation.name,
                "kind": user.organisation.kind,
            }
            if user.organisation
            else None
        ),
        "groups": sorted(user.group_ids),
        "group_names": {g: names.get(g, g) for g in sorted(user.group_ids)},
        "acting_for": acting,
        "new_tasks": inbox.new_task_count(actor),
    }
