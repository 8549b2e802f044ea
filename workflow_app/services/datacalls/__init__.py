"""Data calls (запросы сведений): one department asks many organisations for the same figures by a date,
chases the late ones and consolidates. Commands in ``calls``, read models in ``views``, templates (data files
under ``forms/data_calls/``) in ``templates``. Importing the package registers the ``data_call`` process's
hooks and the ``complete_data_call`` operation (``completion``)."""

from . import (  # noqa: F401  (the complete_data_call, staffing_forecast and poo_rating operations)
    completion,
    forecast,
    rating,
)
from .calls import (  # noqa: F401
    PROCESS_ID,
    chase_late,
    complete,
    excuse,
    extend,
    get_call,
    open_call,
    open_for_cycle,
    open_in,
    save_draft,
    submit,
)
from .views import (  # noqa: F401
    answer_attachment,
    answer_view,
    available_templates,
    call_view,
    consolidation,
    consolidation_xlsx,
    list_calls,
)
