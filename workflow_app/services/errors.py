"""Errors a use case can answer with; the API and the web UI map them to HTTP statuses and messages."""


class Message(str):
    """A message made of a template and its values: it reads as the filled-in English text (logs, the API), and
    the UI translates it by its template (``web.ui.translate_message``), so no English reaches a Russian page."""

    template: str
    params: dict

    def __new__(cls, template: str, params: dict):
        obj = super().__new__(cls, template % params)
        obj.template, obj.params = template, params
        return obj


class ServiceError(Exception):
    status = 400
    code = "bad_request"
    problems: list | None = None  # a refused model's every problem (engine.problems.Problem), listed in the answer

    def __init__(self, message: str, fields: dict | None = None, **params):
        """``message`` is an English msgid of the catalogs; with ``params`` a %(name)s template filled by them."""
        if params:
            message = Message(message, params)
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class BadRequest(ServiceError):
    status, code = 400, "bad_request"


class Unauthorized(ServiceError):
    status, code = 401, "unauthorized"


class Forbidden(ServiceError):
    status, code = 403, "forbidden"


class NotFound(ServiceError):
    status, code = 404, "not_found"


class Conflict(ServiceError):
    status, code = 409, "conflict"


class TooLarge(ServiceError):
    status, code = 413, "too_large"


class Invalid(ServiceError):
    """Invalid input; ``fields`` maps a field path to its message."""

    status, code = 422, "invalid"


class TooManyAttempts(ServiceError):
    """Too many failed logins for this account or from this address within the window."""

    status, code = 429, "too_many_requests"
