"""Foundation benchmark: raw engine cost vs the service-layer cost of completing one task, and state size.

- raw: SpiffWorkflow's own deserialize_json (state WITH spec) + complete one user task + serialize_json,
  all in memory — what the engine itself costs per request;
- service: tasks.complete() against SQLite — the whole command: transaction, load, authorization, form
  validation, engine step, save, HumanTask projection and hash-chained audit events;
- state size after 1, 10, 100 rework rounds: ours (no spec inside) vs SpiffWorkflow's serialization.
"""

from datetime import UTC, datetime

from benchmarks.common import median, ms, sqlite_app, timed

REQUEST = {"title": "Заявка", "amount": 25, "justification": "Нужно больше мест для набора"}


def _raw_engine():
    from SpiffWorkflow.bpmn import BpmnWorkflow
    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
    from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
    from SpiffWorkflow.util.task import TaskState

    from benchmarks.common import ROOT
    from workflow_app.engine import Engine
    from workflow_app.engine.runtime import _Workflow
    from workflow_app.engine.scripting import SafeScriptEngine

    # SpiffWorkflow's stock serializer (not ours, whose task converter is faster), told about our subclass
    ser = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    ser.registry.typenames[_Workflow] = ser.registry.typenames[BpmnWorkflow]
    engine = Engine()
    model = engine.compiled(
        "bench", (ROOT / "bpmn" / "examples" / "example_approval.bpmn").read_text(encoding="utf-8"), "example_approval"
    )
    inst, _ = engine.start(model, {})
    full_json = ser.serialize_json(inst.wf)

    def one():
        wf = ser.deserialize_json(full_json)
        wf.script_engine = SafeScriptEngine()
        task = wf.get_next_task(state=TaskState.READY, manual=True)
        task.data.update(REQUEST)
        task.run()
        wf.do_engine_steps()
        ser.serialize_json(wf)

    return one, engine, model, ser


def _sizes(engine, model, ser):
    rows = []
    inst, _ = engine.start(model, {})
    done = 0
    for rounds in (1, 10, 100):
        while done < rounds:
            inst.complete(inst.ready_user_tasks()[0].engine_task_id, REQUEST)
            inst.complete(inst.ready_user_tasks()[0].engine_task_id, {"decision": "return", "comment": "ещё раз"})
            done += 1
        rows.append((rounds, len(inst.dump().encode()), len(ser.serialize_json(inst.wf).encode())))
    return rows


def _service_and_raw(raw_one, rounds=10, per_round=20):
    """Median service-layer complete and median raw engine operation, timed in alternating batches so the
    machine's drift over the run does not fall on one side of the ratio."""
    import sys
    import time

    from benchmarks.common import ROOT

    sys.path.insert(0, str(ROOT / "tests"))
    from factories import actor, example_people
    from sqlalchemy import select

    from workflow_app.engine import clock
    from workflow_app.extensions import db
    from workflow_app.models import HumanTask
    from workflow_app.services.cases import advance
    from workflow_app.services.tasks import commands
    from workflow_app.services.uow import UnitOfWork

    clock.set_clock(datetime(2026, 3, 2, 3, 0, tzinfo=UTC))
    try:
        with sqlite_app():
            people = example_people()
            officer = actor(people["officer1"])
            task_ids = []
            for i in range(20 + rounds * per_round):
                with UnitOfWork(officer) as uow:
                    inst = advance.start_instance(uow, officer, "example_approval", {}, business_key=f"B-{i}")
                    uow.commit()
                task_ids.append(
                    db.session.execute(
                        select(HumanTask.id).where(HumanTask.instance_id == inst.id, HumanTask.status == "open")
                    ).scalar_one()
                )
            db.session.remove()
            for task_id in task_ids[:20]:  # warm-up
                commands.complete(officer, task_id, REQUEST)
                db.session.remove()
            service, raw = [], []
            for r in range(rounds):
                raw.extend(timed(raw_one, 30))
                for task_id in task_ids[20 + r * per_round : 20 + (r + 1) * per_round]:
                    t0 = time.perf_counter()
                    commands.complete(officer, task_id, REQUEST)
                    db.session.remove()  # a new request: nothing cached in the session
                    service.append(time.perf_counter() - t0)
            return median(service), median(raw)
    finally:
        clock.set_clock(None)


def main():
    raw_one, engine, model, ser = _raw_engine()
    service, raw = _service_and_raw(raw_one)
    print("== engine / service layer (example_approval, complete one user task) ==")
    print(f"raw engine load+complete+save (SpiffWorkflow JSON with spec), p50: {ms(raw)}")
    print(f"service-layer complete against SQLite (transaction, projection, audit), p50: {ms(service)}")
    print(f"ratio service/raw: {service / raw:.2f}  (target <= 3)")
    print("stored state per instance after N rework rounds (bytes): ours vs SpiffWorkflow's own")
    for rounds, ours, theirs in _sizes(engine, model, ser):
        print(f"  {rounds:>3} rounds: {ours:>9,}  vs {theirs:>9,}  ({ours / theirs:.0%})")


if __name__ == "__main__":
    main()
