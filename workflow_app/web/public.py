"""Public results of the approval chains, readable without login: HTML, CSV and JSON (blueprint ``public``)."""

from flask import Blueprint, Response, jsonify, render_template

from ..services import publication
from ..services.chains.kcp import ru_date

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
    return render_template(f"public/{pub.kind}.html", pub=pub, rows=publication.rows(pub))


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
