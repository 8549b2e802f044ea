"""Processes (start list, start) and instances (list, detail)."""

from flask import request
from flask_smorest import Blueprint

from ..services.cases import reads
from ..services.cases.start import start_process
from ..services.process_models import catalogue
from . import serialize
from .core import current_actor
from .schemas.processes import InstanceListArgs, InstanceSchema, ProcessSchema, StartSchema

blp = Blueprint("processes", __name__, url_prefix="", description="Processes and their instances")


@blp.route("/processes")
@blp.response(200, ProcessSchema(many=True))
def list_processes():
    """The latest version of each deployed process and whether I may start it."""
    return catalogue.list_processes(current_actor())


@blp.route("/processes/<process_id>/instances", methods=["POST"])
@blp.arguments(StartSchema())
@blp.response(201, InstanceSchema)
def start(body, process_id):
    """Start an instance of the latest version; the answer lists its open tasks that I may see."""
    instance, tasks = start_process(
        current_actor(), process_id, body.get("data"), body.get("business_key"), body.get("title")
    )
    return serialize.instance(instance, tasks)


@blp.route("/instances")
@blp.arguments(InstanceListArgs(), location="query")
@blp.response(200, InstanceSchema(many=True))
def list_instances(args):
    """Instances I take part in (auditors, admins: all), newest first; paging headers as on /tasks
    (X-Page, X-Per-Page, X-Has-More, Link rel=next; no total)."""
    page = reads.list_instances(
        current_actor(), args["process_id"], args["status"], args["business_key"], args["page"], args["per_page"]
    )
    headers = serialize.paginate_headers(page.page, page.per_page, None, True, page.has_more, request.base_url)
    return [serialize.instance(i) for i in page.items], 200, headers


@blp.route("/instances/<int:instance_id>")
@blp.response(200, InstanceSchema)
def get_instance(instance_id):
    """One instance with its open tasks (404 when I do not take part in it)."""
    instance, tasks = reads.get_instance(current_actor(), instance_id)
    return serialize.instance(instance, tasks)
