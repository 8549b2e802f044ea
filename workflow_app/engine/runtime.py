"""Run instances: start, load, complete a user task, deliver a message, fire due timers, save.

Every operation returns the state transitions it caused (for the audit log and the task projection).
An exception inside SpiffWorkflow is re-raised as ``EngineError``; the in-memory workflow is then
half-advanced and must be discarded, which the service layer does by not saving it.

Kept whole: the operations share the workflow's snapshot, diff and serialization in one place.
"""

import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import TaskConverter, WorkflowConverter
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import ParallelMultiInstanceTask
from SpiffWorkflow.exceptions import SpiffWorkflowException, WorkflowException
from SpiffWorkflow.specs.Join import Join
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.deep_merge import DeepMerge
from SpiffWorkflow.util.task import TaskState

from .errors import EngineError, InvalidModel, NotWaiting
from .parsing import parse_bpmn
from .scripting import SafeScriptEngine, UnsafeScript

_PREDICTED = TaskState.FUTURE | TaskState.LIKELY | TaskState.MAYBE
_TIMER_DEFINITIONS = {"TimeDateEventDefinition", "DurationTimerEventDefinition", "CycleTimerEventDefinition"}
_local = threading.local()
# Small on purpose: the conversions repeat within one load or save of an instance, not across instances;
# a cache holding every id ever seen (65,536 of each, as first tried) grew the heap by ~30 objects an
# instance and slowed every request by ~8% after a thousand instances.
_ID_CACHE = 4096


@lru_cache(maxsize=_ID_CACHE)
def _task_id(text: str) -> UUID:
    return UUID(text)


@lru_cache(maxsize=_ID_CACHE)
def _task_id_text(task_id: UUID) -> str:
    return str(task_id)


class _TaskConverter(TaskConverter):
    """SpiffWorkflow 3.2's task converter, same format, with each id converted once: an id appears as its
    task's key, its own id, its children's parent and its parent's child, and the conversions were a tenth
    of every load and save."""

    def to_dict(self, task):
        parent = task.parent
        if parent is None:
            data, delta = task.data, {}
        else:
            data = {}
            delta = {
                "updates": DeepMerge.get_updated_keys(parent.data, task.data),
                "deletions": DeepMerge.get_deleted_keys(parent.data, task.data),
            }
        return {
            "id": _task_id_text(task.id),
            "parent": _task_id_text(task._parent) if parent is not None else None,
            "children": [_task_id_text(child) for child in task._children],
            "last_state_change": task.last_state_change,
            "state": task.state,
            "task_spec": task.task_spec.name,
            "triggered": task.triggered,
            "internal_data": self.registry.convert(task.internal_data),
            "data": data,
            "delta": delta,
        }

    def from_dict(self, dct, workflow):
        task_spec = workflow.spec.task_specs.get(dct["task_spec"])
        task = self.target_class(workflow, task_spec, state=dct["state"], id=_task_id(dct["id"]))
        task._parent = _task_id(dct["parent"]) if dct["parent"] is not None else None
        task._children = [_task_id(child) for child in dct["children"]]
        task.last_state_change = dct["last_state_change"]
        task.triggered = dct["triggered"]
        task.internal_data = self.registry.restore(dct["internal_data"])
        if isinstance(task_spec, CatchingEvent) and task.has_state(TaskState.WAITING):
            task.workflow.top_workflow.event_manager.add_task(task)
        delta = dct.get("delta")
        if delta and task.parent is not None:
            data = DeepMerge.merge({}, task.parent.data)
            data.update(self.registry.restore(delta.get("updates", {})))
            for key in delta.get("deletions", {}):
                if key in data:
                    del data[key]
        else:
            data = self.registry.restore(dct["data"])
        task.data = data
        return task


def _serializer() -> BpmnWorkflowSerializer:
    # The serializer's registry keeps a mode flag while encoding, so each thread gets its own.
    ser = getattr(_local, "serializer", None)
    if ser is None:
        config = {**SPIFF_CONFIG, Task: _TaskConverter}
        ser = _local.serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))
        ser.registry.typenames[_Workflow] = ser.registry.typenames[BpmnWorkflow]  # same format as Spiff's
    return ser


def _workflow_converter(ser):
    return ser.registry.convert_from_dict[ser.registry.typenames[BpmnWorkflow]].args[0].__self__


def _encode(dct_builder) -> str:
    ser = _serializer()
    ser.registry._encoder_mode = True
    try:
        dct = dct_builder(ser)
        return json.dumps(dct, cls=ser._encoder_cls, ensure_ascii=False, separators=(",", ":"))
    finally:
        ser.registry._encoder_mode = False


def _resume_multi_instance(parent: Task | None) -> None:
    """A parallel multi-instance activity waits for every instance to be COMPLETED, so one instance that an
    administrator cancelled (a data call's recipient) would stall it for ever: once every instance is finished
    (completed or cancelled), the activity goes on with the instances' merged output."""
    if parent is None or not isinstance(parent.task_spec, ParallelMultiInstanceTask):
        return
    if parent.state != TaskState.STARTED:
        return
    instances = [c for c in parent.children if c.task_spec.name == parent.task_spec.task_spec]
    finished = bool(instances) and all(c.has_state(TaskState.FINISHED_MASK) for c in instances)
    if finished and any(c.state == TaskState.CANCELLED for c in instances):
        parent._set_state(TaskState.READY)


@dataclass(frozen=True)
class Transition:
    task_id: str
    bpmn_id: str
    name: str | None
    kind: str  # the spec class, e.g. UserTask, ExclusiveGateway, TimerEventDefinition boundary...
    lane: str | None
    old: str | None  # None when the task did not exist before
    new: str
    parent_bpmn_id: str | None = None
    event_type: str | None = None  # 'timer' | 'message' | 'signal' | ... for event elements
    interrupting: bool | None = None  # boundary events: cancels the activity it sits on


@dataclass(frozen=True)
class UserTaskView:
    engine_task_id: str
    bpmn_id: str
    name: str
    lane: str | None
    item: object = None  # a multi-instance task's own item of the list it repeats over (e.g. its recipient)
    data: dict | None = field(default=None, compare=False, repr=False)  # the task's data (not copied)


class _Workflow(BpmnWorkflow):
    """BpmnWorkflow whose engine-step scans read the task dict instead of walking the task tree.

    SpiffWorkflow walks the whole tree (every completed step of every rework round) several times per
    engine step; with long histories that dominates. The same READY/WAITING tasks are found by a flat
    scan of ``tasks`` (creation order) at a fraction of the cost.
    """

    def _all_tasks(self):
        yield from list(self.tasks.values())
        for sub in list(self.subprocesses.values()):
            yield from list(sub.tasks.values())

    def _do_engine_steps(self, will_complete_task=None, did_complete_task=None):
        def update_workflow(tasks):
            count = 0
            for task in [t for t in tasks if t.state == TaskState.READY and not t.task_spec.manual]:
                if task.state != TaskState.READY:
                    continue  # changed by a task run earlier in this pass
                if will_complete_task is not None:
                    will_complete_task(task)
                task.run()
                count += 1
                if did_complete_task is not None:
                    did_complete_task(task)
            return count

        active_subprocesses = self.get_active_subprocesses()
        for subprocess in sorted(active_subprocesses, key=lambda v: v.depth, reverse=True):
            count = None
            while count is None or count > 0:
                count = update_workflow(list(subprocess.tasks.values()))
            if subprocess.parent_task_id is not None:
                task = self.get_task_from_id(subprocess.parent_task_id)
                task.task_spec._update(task)

        count = update_workflow(list(self._all_tasks()))
        return count > 0 or len(self.get_active_subprocesses()) > len(active_subprocesses)

    def update_waiting_tasks(self):
        for task in [t for t in self.tasks.values() if t.state == TaskState.WAITING]:
            task.task_spec._update(task)


class CompiledModel:
    """One deployed process version: its parsed spec, cached once, and the spec's JSON for loading states."""

    def __init__(self, bpmn_xml: str, process_id: str, file_name: str = ""):
        parsed = parse_bpmn(bpmn_xml.encode("utf-8"), file_name)
        match = [p for p in parsed.processes if p.process_id == process_id]
        if not match:
            raise InvalidModel(f"process '{process_id}' is not in the file", file_name=file_name)
        self.process_id = process_id
        self.spec = match[0].spec
        self.subprocess_specs = match[0].subprocess_specs
        self.meta = match[0].meta
        self.forms: dict = {}
        self.version = 0  # the deployed version number (services/cases/advance sets it)


class Engine:
    """Keeps compiled models (by deployed model id) and creates LoadedInstances."""

    def __init__(self):
        self._models: dict[object, CompiledModel] = {}
        self._lock = threading.Lock()

    def cached(self, key) -> CompiledModel | None:
        return self._models.get(key)

    def compiled(
        self, key, bpmn_xml: str, process_id: str, file_name: str = "", forms: dict | None = None
    ) -> CompiledModel:
        model = self._models.get(key)
        if model is None:
            model = CompiledModel(bpmn_xml, process_id, file_name)
            model.forms = dict(forms or {})
            with self._lock:
                model = self._models.setdefault(key, model)
        return model

    def start(
        self, model: CompiledModel, data: dict | None = None, services=None
    ) -> tuple["LoadedInstance", list[Transition]]:
        wf = _Workflow(model.spec, model.subprocess_specs, script_engine=SafeScriptEngine(services))
        inst = LoadedInstance(model, wf)
        before = inst._snapshot()
        with _engine_errors():
            start = wf.get_next_task(state=TaskState.READY)
            start.data.update(data or {})
            wf.do_engine_steps()
        return inst, inst._diff(before)

    def load(self, model: CompiledModel, state: str, services=None) -> "LoadedInstance":
        """Restore a workflow around the model's cached spec objects (the spec is not re-parsed per load).

        This mirrors SpiffWorkflow's BpmnWorkflowConverter.from_dict minus the spec restoration; specs
        are read-only at run time, so one parsed spec serves every instance of its model version.
        """
        ser = _serializer()
        dct = json.loads(state)
        ser.migrate(dct)
        converter = ser.registry.convert_from_dict[dct["typename"]].args[0].__self__
        wf = _Workflow(model.spec, model.subprocess_specs, deserializing=True)
        wf.tasks = converter.mapping_from_dict(dct["tasks"], _task_id, workflow=wf)
        wf.task_tree = wf.tasks.get(_task_id(dct["root"]))
        converter.set_default_attributes(wf, dct)
        converter.subprocesses_from_dict(dct["subprocesses"], wf)
        wf.bpmn_events = ser.registry.restore(dct.pop("bpmn_events", []))
        wf.script_engine = SafeScriptEngine(services)  # never the default eval/exec engine
        return LoadedInstance(model, wf)


class _engine_errors:
    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc is None or isinstance(exc, EngineError):
            return False
        if isinstance(exc, (SpiffWorkflowException, UnsafeScript, WorkflowException)):
            spec = getattr(exc, "task_spec", None)
            task = getattr(exc, "task", None)
            if spec is None and task is not None:
                spec = task.task_spec
            element = getattr(spec, "bpmn_id", None) or getattr(spec, "name", None)
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            notes = getattr(exc, "__notes__", None)
            if notes:
                message += " — " + "; ".join(notes)
            raise EngineError(message, element=element) from exc
        if isinstance(
            exc,
            (ValueError, TypeError, KeyError, IndexError, ZeroDivisionError, NameError, OverflowError, RecursionError),
        ):
            raise EngineError(f"{type(exc).__name__}: {exc}") from exc
        return False


def _event_type(task_spec) -> str | None:
    definition = getattr(task_spec, "event_definition", None)
    if definition is None:
        return None
    name = type(definition).__name__
    if name in _TIMER_DEFINITIONS:
        return "timer"
    for kind in ("Message", "Signal", "Error", "Escalation", "Conditional", "Terminate", "Cancel", "Multiple"):
        if name.startswith(kind):
            return kind.lower()
    return None


def _item(task):
    """The item a multi-instance activity gave this task (its ``inputDataItem``), else None."""
    parent = task.parent
    input_item = getattr(parent.task_spec, "input_item", None) if parent is not None else None
    return task.data.get(input_item.bpmn_id) if input_item is not None else None


class LoadedInstance:
    def __init__(self, model: CompiledModel, wf: BpmnWorkflow):
        self.model = model
        self.wf = wf

    # --- reading -------------------------------------------------------------------------------
    def _all_tasks(self):
        # Not through the iterators: no depth limit, and subprocess tasks included.
        yield from self.wf.tasks.values()
        for sub in self.wf.subprocesses.values():
            yield from sub.tasks.values()

    def ready_user_tasks(self) -> list[UserTaskView]:
        return [
            UserTaskView(
                str(t.id),
                t.task_spec.bpmn_id,
                t.task_spec.bpmn_name or t.task_spec.bpmn_id,
                t.task_spec.lane,
                _item(t),
                t.data,
            )
            for t in self._all_tasks()
            if t.state == TaskState.READY and t.task_spec.manual
        ]

    def task_data(self, engine_task_id: str) -> dict:
        task = self.wf.get_task_from_id(UUID(engine_task_id))
        return dict(task.data) if task is not None else {}

    @property
    def is_completed(self) -> bool:
        return self.wf.is_completed()

    @property
    def data(self) -> dict:
        """The process variables: the workflow's final data, or the data of the latest task."""
        if self.wf.is_completed():
            return dict(self.wf.data)
        latest = None  # the latest state change wins; among ties (a frozen clock) the later-created task
        for t in self._all_tasks():
            if t.task_spec.bpmn_id is None or t.state not in (TaskState.READY, TaskState.COMPLETED, TaskState.WAITING):
                continue
            if latest is None or t.last_state_change >= latest.last_state_change:
                latest = t
        return dict(latest.data) if latest is not None else {}

    def next_timer_at(self) -> datetime | None:
        due = []
        for event in self.wf.waiting_events():
            if event.event_type not in _TIMER_DEFINITIONS or not event.value:
                continue
            raw = event.value.get("next") if isinstance(event.value, dict) else event.value  # cycle timers
            try:
                value = datetime.fromisoformat(str(raw))
            except ValueError:
                continue
            if value.tzinfo is None:
                value = value.replace(tzinfo=UTC)
            due.append(value.astimezone(UTC))
        return min(due) if due else None

    def waiting_messages(self) -> list[str]:
        return sorted({e.name for e in self.wf.waiting_events() if "Message" in e.event_type})

    def path(self) -> dict:
        """Completed / active / cancelled BPMN element ids and taken flows, for history diagrams."""
        completed, active, flows = set(), set(), set()
        flow_map = self.model.meta.get("flows", {})
        for t in self._all_tasks():
            bpmn_id = t.task_spec.bpmn_id
            if bpmn_id is None:
                continue
            if t.state == TaskState.COMPLETED:
                completed.add(bpmn_id)
            elif t.state in (TaskState.READY, TaskState.WAITING, TaskState.STARTED, TaskState.ERROR):
                active.add(bpmn_id)
            arrived = t.state & (TaskState.COMPLETED | TaskState.READY | TaskState.WAITING | TaskState.STARTED)
            # A join keeps one task per incoming branch; all but one end CANCELLED once merged, yet their
            # branch did arrive there: their flow was taken too.
            merged = t.state == TaskState.CANCELLED and isinstance(t.task_spec, Join)
            if arrived or merged:
                parent = t.parent
                while parent is not None and parent.task_spec.bpmn_id is None:
                    parent = parent.parent
                if merged and (parent is None or parent.state != TaskState.COMPLETED):
                    continue
                if parent is not None:
                    flow = flow_map.get(f"{parent.task_spec.bpmn_id}->{bpmn_id}")
                    if flow:
                        flows.add(flow)
        return {"completed": sorted(completed), "active": sorted(active), "flows": sorted(flows)}

    # --- acting --------------------------------------------------------------------------------
    def complete(self, engine_task_id: str, data: dict) -> list[Transition]:
        task = self.wf.get_task_from_id(UUID(engine_task_id))
        if task is None or task.state != TaskState.READY or not task.task_spec.manual:
            raise EngineError(
                "the task is not ready", element=getattr(getattr(task, "task_spec", None), "bpmn_id", None)
            )
        before = self._snapshot()
        with _engine_errors():
            task.data.update(data)
            task.run()
            _resume_multi_instance(task.parent)
            self.wf.do_engine_steps()
        return self._diff(before)

    def cancel(self, engine_task_id: str) -> list[Transition]:
        """Cancel one READY user task (an administrator's correction) and run whatever follows."""
        task = self.wf.get_task_from_id(UUID(engine_task_id))
        if task is None or task.state != TaskState.READY or not task.task_spec.manual:
            raise EngineError(
                "the task is not ready", element=getattr(getattr(task, "task_spec", None), "bpmn_id", None)
            )
        before = self._snapshot()
        with _engine_errors():
            # The activity goes with its boundary events (timers, messages): they must not fire any more.
            if type(task.parent.task_spec).__name__ == "BoundaryEventSplit":
                for sibling in list(task.parent.children):
                    if sibling is not task and not sibling.has_state(TaskState.FINISHED_MASK):
                        sibling.cancel()
            task.cancel()
            _resume_multi_instance(task.parent)
            self.wf.do_engine_steps()
        return self._diff(before)

    def deliver(self, message_name: str, payload=None) -> list[Transition]:
        before = self._snapshot()
        with _engine_errors():
            try:
                self.wf.send_event(BpmnEvent(MessageEventDefinition(message_name), payload=payload))
            except WorkflowException as exc:
                if "not waiting" in str(exc):
                    raise NotWaiting(f"the instance is not waiting for message '{message_name}'") from None
                raise
            self.wf.do_engine_steps()
        return self._diff(before)

    def fire_timers(self) -> list[Transition]:
        before = self._snapshot()
        with _engine_errors():
            self.wf.refresh_timers()
            self.wf.do_engine_steps()
        return self._diff(before)

    def dump(self) -> str:
        """The state as JSON without the process spec (the spec lives once per model version)."""

        def state_part(ser):
            # BpmnWorkflowConverter.to_dict minus the spec and subprocess specs (never stored per instance)
            converter = _workflow_converter(ser)
            dct = WorkflowConverter.to_dict(converter, self.wf)
            dct["subprocesses"] = converter.mapping_to_dict(self.wf.subprocesses)
            dct["bpmn_events"] = converter.registry.convert(self.wf.bpmn_events)
            dct["typename"] = ser.registry.typenames[BpmnWorkflow]
            dct[ser.VERSION_KEY] = ser.VERSION
            return dct

        return _encode(state_part)

    # --- transitions ---------------------------------------------------------------------------
    def _snapshot(self) -> dict:
        return {t.id: t.state for t in self._all_tasks()}

    def _diff(self, before: dict) -> list[Transition]:
        changes = []
        for t in self._all_tasks():
            old = before.get(t.id)
            if old == t.state or t.state & _PREDICTED or t.task_spec.bpmn_id is None:
                continue
            parent = t.parent
            while parent is not None and parent.task_spec.bpmn_id is None:
                parent = parent.parent
            changes.append(
                (
                    t.last_state_change,
                    Transition(
                        task_id=str(t.id),
                        bpmn_id=t.task_spec.bpmn_id,
                        name=t.task_spec.bpmn_name,
                        kind=type(t.task_spec).__name__,
                        lane=getattr(t.task_spec, "lane", None),
                        old=TaskState.get_name(old) if old is not None and not old & _PREDICTED else None,
                        new=TaskState.get_name(t.state),
                        parent_bpmn_id=parent.task_spec.bpmn_id if parent is not None else None,
                        event_type=_event_type(t.task_spec),
                        interrupting=getattr(t.task_spec, "cancel_activity", None),
                    ),
                )
            )
        changes.sort(key=lambda c: c[0])
        return [c[1] for c in changes]
