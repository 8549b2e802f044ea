"""Public results of the approval chains, readable without login: HTML, CSV and JSON (blueprint ``public``)."""

import io

from flask import Blueprint, Response, jsonify, render_template, send_file

from ..dates import ru_date
from ..services import documents, publication

bp = Blueprint("public", __name__, url_prefix="/public")


@bp.app_template_filter("ru_date")
def _ru_date(value):
    """ДД.ММ.ГГГГ of an ISO date string or of a moment (in Asia/Tomsk)."""
    return ru_date(value)


@bp.route("/")
def index():
    return render_template("public/index.html", publications=publication.current())


@bp.route("/<kind>/<key>")
def show(kind, key):
    pub = publication.get(kind, key)
    return render_template(
        f"public/{pub.kind}.html", pub=pub, rows=publication.rows(pub), documents=documents.publication_documents(pub)
    )


@bp.route("/<kind>/<key>/documents/<doc_kind>.<fmt>")
def document(kind, key, doc_kind, fmt):
    """A fixed file of the act behind a publication (the registered order and its table), exactly as signed."""
    body, mimetype, name = documents.public_file(publication.get(kind, key), doc_kind, fmt)
    return send_file(io.BytesIO(body), mimetype=mimetype, as_attachment=True, download_name=name)


@bp.route("/<kind>/<key>.json")
def show_json(kind, key):
    return jsonify(publication.as_json(publication.get(kind, key)))


@bp.route("/<kind>/<key>.csv")
def show_csv(kind, key):
    pub = publication.get(kind, key)
    return Response(
        publication.as_csv(pub),
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{pub.kind}-{pub.key}.csv"'},
    )


@bp.route("/<kind>/<key>.xlsx")
def show_xlsx(kind, key):
    pub = publication.get(kind, key)
    return Response(
        publication.as_xlsx(pub),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{pub.kind}-{pub.key}.xlsx"'},
    )
