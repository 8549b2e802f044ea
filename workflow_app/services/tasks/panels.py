"""Read-only panels shown above a task's form: figures a decision should be compared with (the forecast of
staffing demand beside the КЦП consolidation and the professions list). A chain registers a panel for a
(process, user task); the task page (web and API) asks for the panels of the task it shows."""

PANELS: dict = {}  # (process_id, task_def) -> fn(task, data) -> {"id", "title", "note", "columns", "rows"} | None


def register(process_id: str, task_def: str):
    def add(fn):
        PANELS.setdefault((process_id, task_def), []).append(fn)
        return fn

    return add


def panels_for(task, data: dict) -> list[dict]:
    out = []
    for fn in PANELS.get((task.process_id, task.task_def), []):
        panel = fn(task, data or {})
        if panel:
            out.append(panel)
    return out
