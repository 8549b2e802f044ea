"""Tasks: inbox views, detail, claim / unclaim / assign / delegate / resolve / complete, follow-up,
comments and attachments."""

from flask import request
from flask_smorest import Blueprint

from ..downloads import attachment_response
from ..services.errors import Invalid
from ..services.tasks import attachments, commands, comments, inbox
from . import serialize
from .core import current_actor
from .schemas.tasks import (
    AttachmentSchema,
    CommentCreateSchema,
    CommentSchema,
    CompleteResultSchema,
    CompleteSchema,
    FollowUpSchema,
    TaskDetailSchema,
    TaskListArgs,
    TaskSchema,
    UploadSchema,
    UserArgSchema,
)

blp = Blueprint("tasks", __name__, url_prefix="/tasks", description="Inboxes and work on human tasks")


@blp.route("")
@blp.arguments(TaskListArgs(), location="query")
@blp.response(200, TaskSchema(many=True))
def list_tasks(args):
    """An inbox view: ``mine`` (assigned to me), ``group`` (unclaimed in my groups), ``overdue``, ``all``
    (everything I may see). Oldest first. The body is a list; paging is in headers: ``X-Total-Count``
    (counted up to 1000; ``X-Total-Count-Exact: false`` when capped), ``X-Page``, ``X-Per-Page``,
    ``X-Has-More`` and ``Link: <...>; rel="next"``."""
    filters = inbox.TaskFilters(args["process_id"], args["business_key"], args["due_before"])
    page = inbox.list_tasks(current_actor(), args["view"], filters, args["page"], args["per_page"])
    headers = serialize.paginate_headers(
        page.page, page.per_page, page.total, page.total_exact, page.has_more, request.base_url
    )
    return serialize.tasks(page.items), 200, headers


@blp.route("/<int:task_id>")
@blp.response(200, TaskDetailSchema)
def get_task(task_id):
    """A task with its form (JSON Schema), instance context, current data, comments and attachments."""
    ctx = inbox.task_context(current_actor(), task_id)
    body = serialize.task(ctx["task"])
    body.update(
        form=ctx["form"],
        instance=serialize.instance(ctx["instance"]),
        data=ctx["data"],
        comments=[serialize.comment(c) for c in ctx["comments"]],
        attachments=[serialize.attachment(a) for a in ctx["attachments"]],
        can_work=ctx["can_work"],
        can_assign=ctx["can_assign"],
        panels=ctx["panels"],
    )
    return body


@blp.route("/<int:task_id>/claim", methods=["POST"])
@blp.response(200, TaskSchema)
def claim(task_id):
    """Claim a task of my group (409 when someone else was faster)."""
    return serialize.task(commands.claim(current_actor(), task_id))


@blp.route("/<int:task_id>/unclaim", methods=["POST"])
@blp.response(200, TaskSchema)
def unclaim(task_id):
    """Give a claimed task back to the group."""
    return serialize.task(commands.unclaim(current_actor(), task_id))


@blp.route("/<int:task_id>/assign", methods=["POST"])
@blp.arguments(UserArgSchema())
@blp.response(200, TaskSchema)
def assign(body, task_id):
    """The group head (or an admin) assigns the task to a member of its group."""
    return serialize.task(commands.assign(current_actor(), task_id, body["user"]))


@blp.route("/<int:task_id>/delegate", methods=["POST"])
@blp.arguments(UserArgSchema())
@blp.response(200, TaskSchema)
def delegate(body, task_id):
    """The assignee delegates the task to a colleague and stays its owner."""
    return serialize.task(commands.delegate(current_actor(), task_id, body["user"]))


@blp.route("/<int:task_id>/resolve", methods=["POST"])
@blp.response(200, TaskSchema)
def resolve(task_id):
    """The delegate gives the task back to its owner."""
    return serialize.task(commands.resolve(current_actor(), task_id))


@blp.route("/<int:task_id>/follow-up", methods=["POST"])
@blp.arguments(FollowUpSchema())
@blp.response(200, TaskSchema)
def follow_up(body, task_id):
    """Set (or clear, with null) the follow-up date of a task assigned to me."""
    return serialize.task(commands.set_follow_up(current_actor(), task_id, body["follow_up_at"]))


@blp.route("/<int:task_id>/complete", methods=["POST"])
@blp.arguments(CompleteSchema())
@blp.response(200, CompleteResultSchema)
def complete(body, task_id):
    """Submit the form (validated against its JSON Schema: 422 with field paths). Completing a free task
    of my group claims it. ``lock_version`` (from GET /tasks/<id>) turns a concurrent change into 409."""
    actor = current_actor()
    task, next_tasks = commands.complete(actor, task_id, body["data"], expected_lock_version=body.get("lock_version"))
    return serialize.completion(task, task.instance, next_tasks)


@blp.route("/<int:task_id>/comments")
@blp.response(200, CommentSchema(many=True))
def list_comments(task_id):
    return [serialize.comment(c) for c in comments.list_comments(current_actor(), task_id)]


@blp.route("/<int:task_id>/comments", methods=["POST"])
@blp.arguments(CommentCreateSchema())
@blp.response(201, CommentSchema)
def add_comment(body, task_id):
    return serialize.comment(comments.add_comment(current_actor(), task_id, body["body"]))


@blp.route("/<int:task_id>/attachments")
@blp.response(200, AttachmentSchema(many=True))
def list_attachments(task_id):
    return [serialize.attachment(a) for a in attachments.list_attachments(current_actor(), task_id)]


@blp.route("/<int:task_id>/attachments", methods=["POST"])
@blp.arguments(UploadSchema(), location="files")
@blp.response(201, AttachmentSchema)
def add_attachment(files, task_id):
    """Upload a file (multipart field ``file``); 413 over the limit. Its SHA-256 is stored and returned."""
    upload = files.get("file")
    if upload is None:
        raise Invalid("a file is required", fields={"file": "missing"})
    content = upload.read(attachments.attachment_limit() + 1)
    att = attachments.add_attachment(current_actor(), task_id, upload.filename, upload.mimetype, content)
    return serialize.attachment(att)


@blp.route("/<int:task_id>/attachments/<int:attachment_id>")
@blp.response(200, description="the file", content_type="application/octet-stream")
def download_attachment(task_id, attachment_id):
    """Download an attachment (only for those who may see the task)."""
    return attachment_response(attachments.get_attachment(current_actor(), task_id, attachment_id))
