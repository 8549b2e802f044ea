"""JSON Schema (Draft 2020-12) task forms: loading, computed fields, validation, HTML posts.

A form is a file ``forms/<form_key>.json`` holding a JSON Schema object::

    {
      "title": "Заявка на изменение КЦП",
      "description": "...",
      "type": "object",
      "properties": {
        "inn":   {"type": "string", "title": "ИНН", "format": "inn"},
        "lines": {"type": "array", "title": "Строки", "items": {
            "type": "object",
            "properties": {
              "programme_code": {"type": "string", "format": "programme-code"},
              "current_kcp":    {"type": "integer", "minimum": 0},
              "requested_kcp":  {"type": "integer", "minimum": 0},
              "delta":          {"type": "integer", "x-compute": {"sub": ["requested_kcp", "current_kcp"]}}
            }}},
        "total_delta": {"type": "integer", "x-compute": {"sum": ["lines", "delta"]}},
        "decision": {"type": "string", "enum": ["approve", "return"],
                     "x-ui": {"widget": "buttons", "enumNames": ["Согласовать", "Вернуть"]}}
      },
      "required": ["inn", "lines"]
    }

Extensions (ignored by JSON Schema itself):

``x-ui``
    per property: ``widget`` (one of :data:`WIDGETS`), ``order`` (int), ``placeholder`` (str),
    ``readonly`` (bool), ``enumNames`` (display labels for ``enum``; alternatively use
    ``oneOf: [{"const": ..., "title": ...}]``).
``x-compute``
    computed numeric field, filled server side before validation (so ``if``/``then`` can use it):
    ``{"sub": [a, b, ...]}`` = a - b - ...; ``{"add": [a, b, ...]}``; ``{"sum": [array, field]}`` =
    sum of ``field`` over the items of the sibling ``array`` (``{"sum": [array]}`` for an array of
    numbers).  Operands are sibling field names or number literals.  If an operand is missing or
    not a number the computed field is left out.
``x-organisation``
    a reference to an organisation of the registry: ``"x-organisation": "college"`` (a kind) on a string
    property; the services make it a choice of the registry's codes (``registry.with_options``).
``x-messages``
    per property, overrides the error message per validator keyword, e.g.
    ``{"pattern": "Укажите код в виде 01.02.03"}`` (used verbatim: forms are authored in Russian).

Custom formats (asserted): ``inn``, ``ogrn``, ``programme-code``, ``date``, ``email``.

HTML naming (see :func:`parse_form_post` and ``web/templates/forms/_macros.html``): top level
``name``; nested object ``parent-child``; array of objects ``lines-0-programme_code``; array of
scalars: the same name repeated; file inputs ``file:<name>`` (not parsed here: the caller stores
the upload and puts its reference into the data).

Pure module: no database, no SpiffWorkflow.  Messages are translated with flask_babel's gettext
and degrade to the English msgids outside an application with Babel.

Rooms, each importing only the ones before it: ``schema`` (the error types and reading a schema's
properties), ``messages`` (Russian error messages), ``compute`` (``x-compute`` fields, ordered with
:mod:`graphlib`), ``registry`` (organisation references as choices), ``load`` (reading and checking a form file), ``validate`` (formats and validation),
``post`` (an HTML form post parsed back into data), ``submission`` (what a submission may write: the
form's own fields, read-only and computed ones from the server). The package is named ``formkit`` so that it is not
confused with the top-level ``forms/`` directory of JSON schemas it reads. Callers use the names
re-exported here.
"""

from .compute import apply_computed
from .load import check_form_schema, load_form
from .messages import errors_to_dict
from .post import parse_form_post
from .registry import ORGANISATION_KINDS, references_organisations, with_options
from .schema import WIDGETS, FieldError, FormError, decision_options
from .submission import has_read_only, own_fields, server_owned
from .validate import FORMAT_CHECKER, validate

__all__ = [
    "FORMAT_CHECKER",
    "ORGANISATION_KINDS",
    "WIDGETS",
    "FieldError",
    "FormError",
    "apply_computed",
    "check_form_schema",
    "decision_options",
    "errors_to_dict",
    "has_read_only",
    "load_form",
    "own_fields",
    "parse_form_post",
    "references_organisations",
    "server_owned",
    "validate",
    "with_options",
]
