"""Models and deployment endpoints that need nothing else (the API's root resources)."""

from flask_smorest import Blueprint

from ..services import deployment
from . import current_actor
from .schemas import ModelSchema

blp = Blueprint("models", __name__, url_prefix="/models", description="Deployed process models")


@blp.route("")
@blp.response(200, ModelSchema(many=True))
def list_models():
    current_actor()
    return deployment.list_models()
