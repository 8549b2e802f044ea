"""The only package that imports SpiffWorkflow.

Importing it applies process-wide adjustments to SpiffWorkflow 3.2:
- the task iterators' default depth limit (1000) is lifted, because after ~250 rework loops a READY task
  sits deeper than that and the instance would stall silently while ``is_completed()`` says True; the
  two recursive ancestor walks of ``Task`` are replaced by loops, which would otherwise hit Python's
  recursion limit at about the same depth;
- the timer module and task timestamps read ``engine.clock``, so deadlines follow the injectable clock;
- SpiffWorkflow's loggers stay at WARNING: it logs every task state change at INFO (a flood in JSON logs;
  the audit log records what matters), and while ``spiff.workflow`` has no level of its own it walks the
  whole task tree for every workflow it creates, only to list task ids in a log record.
"""

import logging as _logging
from datetime import datetime as _datetime

from SpiffWorkflow import task as _spiff_task
from SpiffWorkflow.bpmn.specs.event_definitions import timer as _timer_mod
from SpiffWorkflow.bpmn.util.task import BpmnTaskIterator as _BpmnTaskIterator
from SpiffWorkflow.util.task import TaskIterator as _TaskIterator

from . import clock

_UNLIMITED = 10**9
_TaskIterator.__init__.__defaults__ = (None, _UNLIMITED, True, None)
_BpmnTaskIterator.__init__.__defaults__ = (None, _UNLIMITED, True, False, None)


class _ClockDatetime(_datetime):
    @classmethod
    def now(cls, tz=None):
        current = clock.now()
        return current.astimezone(tz) if tz is not None else current.replace(tzinfo=None)


class _ClockTime:
    @staticmethod
    def time():
        return clock.timestamp()


def _is_descendant_of(self, task):
    parent = self.parent
    while parent is not None:
        if parent == task:
            return True
        parent = parent.parent
    return False


def _find_ancestor(self, spec_name):
    parent = self.parent
    while parent is not None:
        if parent.task_spec.name == spec_name:
            return parent
        parent = parent.parent
    return None


for _name in ("spiff", "spiff.workflow"):
    _logging.getLogger(_name).setLevel(_logging.WARNING)

_spiff_task.Task.is_descendant_of = _is_descendant_of
_spiff_task.Task.find_ancestor = _find_ancestor
_timer_mod.datetime = _ClockDatetime
_spiff_task.time = _ClockTime

from .errors import EngineError, InvalidModel  # noqa: E402,F401
from .parsing import ParsedFile, parse_bpmn  # noqa: E402,F401
from .runtime import (  # noqa: E402,F401
    Engine,
    LoadedInstance,
    Transition,
    UserTaskView,
)
