"""Every API blueprint, registered under /api/v1 in this order."""

from .audit import blp as audit_blp
from .deployed_models import blp as models_blp

ALL = [models_blp, audit_blp]

from .auth import blp as auth_blp  # noqa: E402
from .processes import blp as processes_blp  # noqa: E402
from .tasks import blp as tasks_blp  # noqa: E402

ALL += [auth_blp, processes_blp, tasks_blp]

from .council import blp as council_blp  # noqa: E402

ALL += [council_blp]

from .scheduler import blp as scheduler_blp  # noqa: E402

ALL += [scheduler_blp]

from .notices import blp as notices_blp  # noqa: E402

ALL += [notices_blp]

from .bodies import blp as bodies_blp  # noqa: E402
from .deputies import blp as deputies_blp  # noqa: E402
from .organisations import blp as organisations_blp  # noqa: E402
from .users import blp as users_blp  # noqa: E402

ALL += [users_blp, organisations_blp, deputies_blp, bodies_blp]

from .documents import blp as documents_blp  # noqa: E402

ALL += [documents_blp]

from .datacalls import blp as data_calls_blp  # noqa: E402

ALL += [data_calls_blp]

from .roadmap import blp as roadmap_blp  # noqa: E402

ALL += [roadmap_blp]

from .monitoring import blp as monitoring_blp  # noqa: E402

ALL += [monitoring_blp]
