"""Errors raised by the engine layer; the service layer maps them to user-facing answers."""


class InvalidModel(ValueError):
    """A BPMN file that cannot be deployed. ``element`` is the offending element id, if known."""

    def __init__(self, message: str, *, file_name: str = "", element: str | None = None, line: int | None = None):
        self.file_name = file_name
        self.element = element
        self.line = line
        self.reason = message
        where = file_name or "BPMN"
        if element:
            where += f", element '{element}'"
        if line:
            where += f", line {line}"
        super().__init__(f"{where}: {message}")


class EngineError(RuntimeError):
    """The engine could not advance an instance (a failing condition, no matching branch, ...).

    Nothing is saved when it is raised: the caller discards the in-memory workflow.
    """

    def __init__(self, message: str, *, element: str | None = None):
        self.element = element
        super().__init__(message if not element else f"{element}: {message}")


class NotWaiting(EngineError):
    """A message was delivered to an instance that does not wait for it."""
