"""Models and deployment endpoints that need nothing else (the API's root resources)."""

from flask import jsonify, request
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from ..services import deployment
from ..services.errors import BadRequest
from . import current_actor
from .schemas.deployed_models import ModelSchema

blp = Blueprint("models", __name__, url_prefix="/models", description="Deployed process models")


class DeployArgs(Schema):
    check = fields.Boolean(load_default=False, metadata={"description": "true: only check, deploy nothing"})
    file_name = fields.String(load_default="model.bpmn", metadata={"description": "for a raw XML body"})


class ProblemSchema(Schema):
    severity = fields.String(metadata={"description": "error (refuses the file) or warning"})
    rule = fields.String()
    element = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    line = fields.Integer(allow_none=True)
    file = fields.String()
    message = fields.String()
    hint = fields.String(metadata={"description": "what to do"})


class CheckSchema(Schema):
    file = fields.String()
    ok = fields.Boolean()
    processes = fields.List(fields.String())
    problems = fields.List(fields.Nested(ProblemSchema))


class DeployedSchema(Schema):
    process_id = fields.String()
    version = fields.Integer()
    created = fields.Boolean()
    file_name = fields.String()
    warnings = fields.List(fields.Nested(ProblemSchema))


@blp.route("")
@blp.response(200, ModelSchema(many=True))
def list_models():
    current_actor()
    return deployment.list_models()


def _upload() -> tuple[bytes, str]:
    upload = request.files.get("bpmn")
    if upload is not None and upload.filename:
        return upload.read(), upload.filename
    content = request.get_data()
    if not content:
        raise BadRequest("send the BPMN file as multipart field 'bpmn' or as the request body")
    return content, request.args.get("file_name") or "model.bpmn"


@blp.route("", methods=["POST"])
@blp.arguments(DeployArgs(), location="query")
@blp.response(201, DeployedSchema(many=True))
@blp.alt_response(200, schema=CheckSchema, description="check=true: every problem, nothing deployed")
def deploy(args):
    """Deploy a BPMN file (administrators). A refused file answers 422 with ``error.problems``: every problem
    (element id and name, line, rule, message, what to do). ``?check=true`` is the dry run."""
    content, file_name = _upload()
    if args["check"]:
        report = deployment.check_bytes(current_actor(), content, file_name)
        body = {"file": report.file_name, "ok": report.ok, "processes": report.processes}
        body["problems"] = [p.as_dict() for p in report.problems]
        return jsonify(CheckSchema().dump(body))  # 200; a Response passes the 201 schema untouched
    results = deployment.deploy_bytes(current_actor(), content, file_name)
    return [dict(vars(r), warnings=[p.as_dict() for p in r.warnings]) for r in results]
