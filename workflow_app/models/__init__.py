"""SQLAlchemy models, one module per aggregate."""

from .audit import AuditEvent, AuditHead, AuditSeal  # noqa: F401
from .council import (  # noqa: F401
    AgendaItem,
    Attendance,
    BodyMembership,
    CollegialBody,
    Decision,
    Instruction,
    Meeting,
    MeetingSubstitute,
    Protocol,
)
from .datacall import DataCall, DataCallRecipient  # noqa: F401
from .document import FixedDocument  # noqa: F401
from .durations import BUCKET_COUNT, duration_stat  # noqa: F401
from .identity import ApiToken, Deputy, Group, LoginFailure, Membership, Organisation, User, UserSession  # noqa: F401
from .notification import Notification  # noqa: F401
from .process import ProcessInstance, ProcessModel  # noqa: F401
from .publication import Publication  # noqa: F401
from .roadmap import RoadmapChange, RoadmapEvidence, RoadmapExecutor, RoadmapItem  # noqa: F401
from .scheduler import CycleDefinition, SchedulerNode  # noqa: F401
from .task import HumanTask, TaskAttachment, TaskComment  # noqa: F401
