"""Models and deployment endpoints that need nothing else (the API's root resources)."""

from flask import jsonify, request
from flask_smorest import Blueprint

from ..services.errors import BadRequest
from ..services.process_models import deployment
from .core import current_actor
from .schemas.deployed_models import CheckSchema, DeployArgs, DeployedSchema, ModelSchema

blp = Blueprint("models", __name__, url_prefix="/models", description="Deployed process models")


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
