"""The one reading of what a client sends through a form: a task's submission or a process's start data.

Whatever face it came through (an HTML post, a JSON body), the data may hold only the form's own fields (a
key the form does not have is refused, never slipped past the form into the process), read-only fields
keep the value the case holds, computed ones are recalculated, organisation references must name an
organisation of the registry, and then the form's JSON Schema validates. Nothing is written on a refusal.
"""

from ... import formkit
from ..errors import Invalid
from ..people import organisations
from ..people.actors import Actor


def read(schema: dict, data: dict, current: dict | None = None, actor: Actor | None = None) -> dict:
    """The clean data of ``data`` submitted on the form ``schema`` by ``actor`` (Invalid with every error by
    field)."""
    schema = organisations.in_forms(schema, actor)
    own, unknown = formkit.own_fields(schema, data, current)
    clean, errors = formkit.validate(schema, own)
    if errors or unknown:
        raise Invalid("the form has errors", fields={e.path: e.message for e in [*unknown, *errors]})
    return clean


NO_FORM = {"type": "object", "properties": {}}  # a process without a start form takes no start data


def read_start(schema: dict | None, data: dict, actor: Actor) -> dict:
    """Start data sent by a client: only the fields of the process's start form (none without one)."""
    if schema is None:
        _own, unknown = formkit.own_fields(NO_FORM, data, None)
        if unknown:
            raise Invalid("this process takes no start data", fields={e.path: e.message for e in unknown})
        return {}
    return read(schema, data, None, actor)
