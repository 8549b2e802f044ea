"""Browser sign-in and sign-out as audited commands (kinds ``login``, ``login_failed``, ``logout``).

The password check itself is ``identity.authenticate``; this module adds the audit trail so that
every sign-in attempt — also a failed one — is in the hash-chained log.
"""

from ..models import User
from .errors import Unauthorized
from .identity import Actor, actor_for, authenticate, upgrade_password_hash
from .uow import UnitOfWork

ANONYMOUS = Actor(None, "anonymous")
MAX_NAME = 64


def login(username: str, password: str, *, remote_addr: str | None = None, channel: str = "web") -> User:
    """Check the credentials; record ``login`` or ``login_failed``; raise Unauthorized on failure."""
    username = (username or "").strip()[:MAX_NAME]
    user = authenticate(username, password or "") if username else None
    if user is None:
        with UnitOfWork(ANONYMOUS) as uow:
            uow.record("login_failed", payload={"username": username, "remote_addr": remote_addr, "channel": channel})
            uow.commit()
        raise Unauthorized("wrong user name or password")
    who = actor_for(user)
    with UnitOfWork(who) as uow:
        upgrade_password_hash(user, password)
        uow.record("login", payload={"remote_addr": remote_addr, "channel": channel})
        uow.commit()
    return user


def logout(actor: Actor, *, remote_addr: str | None = None) -> None:
    with UnitOfWork(actor) as uow:
        uow.record("logout", payload={"remote_addr": remote_addr})
        uow.commit()
