"""Errors raised by the engine layer; the service layer maps them to user-facing answers."""

from .problems import Problem


class InvalidModel(ValueError):
    """A BPMN file that cannot be deployed: every problem found (``problems``), the first one's element.

    Raised with a message (one problem of its own) or with the list of ``engine.problems.Problem`` found.
    """

    def __init__(
        self,
        message: str = "",
        *,
        file_name: str = "",
        element: str | None = None,
        line: int | None = None,
        problems: list | None = None,
    ):
        if problems is None:
            problems = [Problem("engine", {"detail": message}, element=element, line=line, file_name=file_name)]
        self.problems = problems
        first = next((p for p in problems if p.severity == "error"), problems[0] if problems else None)
        self.file_name = file_name or (first.file_name if first else "")
        self.element = element if element is not None else (first.element if first else None)
        self.line = line if line is not None else (first.line if first else None)
        self.reason = message or (first.message if first else "")
        super().__init__("\n".join(p.text() for p in problems) or message)


class EngineError(RuntimeError):
    """The engine could not advance an instance (a failing condition, no matching branch, ...).

    Nothing is saved when it is raised: the caller discards the in-memory workflow.
    """

    def __init__(self, message: str, *, element: str | None = None):
        self.element = element
        super().__init__(message if not element else f"{element}: {message}")


class NotWaiting(EngineError):
    """A message was delivered to an instance that does not wait for it."""
