"""Test data builders (real rows through the real services, nothing mocked)."""

from workflow_app.extensions import db
from workflow_app.models import Organisation, User
from workflow_app.services.people import browser_sessions
from workflow_app.services.people.actors import actor_for, create_user


def org(code, name=None, kind="college"):
    existing = db.session.query(Organisation).filter_by(code=code).one_or_none()
    if existing:
        return existing
    o = Organisation(code=code, name=name or code, kind=kind)
    db.session.add(o)
    db.session.flush()
    return o


def user(username, groups, organisation=None, password="pw-123456", email=None):
    u = create_user(
        db.session,
        username,
        password,
        username.replace("_", " ").title(),
        groups,
        organisation=organisation,
        email=email,
    )
    db.session.commit()
    return u


def actor(u):
    return actor_for(u)


def example_people():
    """Two colleges and the department, enough to run the example process."""
    c1, c2 = org("college1", "Колледж 1"), org("college2", "Колледж 2")
    dept = org("dpo", "ДепПО", kind="department")
    return {
        "officer1": user("college_officer_1", ["college_officer"], c1),
        "officer2": user("college_officer_2", ["college_officer"], c2),
        "dpo": user("dpo_officer", ["dpo_officer"], dept),
        "dpo2": user("dpo_officer_2", ["dpo_officer", "college_officer"], c1),
        "head": user("dpo_head", ["dpo_head"], dept),
        "admin": user("admin", ["admin"], dept),
        "auditor": user("auditor", ["auditor"], dept),
    }


def login_session(client, user):
    """Log ``user`` in on ``client`` without a password: an open server-side session (services/people/browser_sessions)
    and its id in the signed cookie, as a real login leaves them."""
    sid = browser_sessions.start(user)
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)
        session[browser_sessions.SID_KEY] = sid


def two_demo_poo():
    """Leave only the demo's ТПТ and ТТИТ answering: the users of its culture and forestry ПОО (ТМК, ТЛТТ) are
    deactivated and renamed, so a test may add its own third ПОО with ``college_officer_3``."""
    for username in ("college_officer_3", "college_director_3", "college_officer_4", "college_director_4"):
        person = db.session.query(User).filter_by(username=username).one()
        person.username, person.active = f"{username}_demo", False
    db.session.commit()
