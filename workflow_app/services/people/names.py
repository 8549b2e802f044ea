"""Display names for read models: the names of the users and organisations a list or document shows, fetched
in one query per list and returned as a typed read model (never a bare dict to index by guesswork)."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import overload

from sqlalchemy import select

from ...extensions import db
from ...models import Organisation, User


@dataclass(frozen=True)
class Names:
    """Names by id; an unknown id (or None) reads as ``default``."""

    by_id: Mapping[int, str] = field(default_factory=dict)

    @overload
    def get(self, ident: object) -> str | None: ...
    @overload
    def get(self, ident: object, default: str) -> str: ...
    def get(self, ident: object, default: str | None = None) -> str | None:
        return self.by_id.get(ident, default) if isinstance(ident, int) else default


def _ids(ids: Iterable[object]) -> set[int]:
    return {i for i in ids if isinstance(i, int) and not isinstance(i, bool)}


def user_names(user_ids: Iterable[object]) -> Names:
    """The display names of these users (ids that are None or not users are left out)."""
    ids = _ids(user_ids)
    if not ids:
        return Names()
    rows = db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all()
    return Names({row[0]: row[1] for row in rows})


def organisation_names(org_ids: Iterable[object]) -> Names:
    """The names of these organisations."""
    ids = _ids(org_ids)
    if not ids:
        return Names()
    rows = db.session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids))).all()
    return Names({row[0]: row[1] for row in rows})
