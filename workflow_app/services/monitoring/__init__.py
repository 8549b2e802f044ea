"""Monitoring of the roadmap (13.3): the dashboard's read queries (``dashboard``) and the half-yearly cycle in
which the Координатор collects the executors' reports and the Координационный совет decides (``cycle``)."""

from . import cycle  # noqa: F401  (registers the monitoring cycle's operations)
from .dashboard import VIEWERS, may_view  # noqa: F401
