"""The organisations' registry (administrators)."""

from flask_smorest import Blueprint

from ..services.people import organisations
from .core import current_actor
from .schemas.organisations import OrganisationQuerySchema, OrganisationWriteSchema, RegistryOrganisationSchema

blp = Blueprint(
    "organisations",
    __name__,
    url_prefix="/organisations",
    description="The organisations' registry: departments, ПОО, investors, employment centres (administrators)",
)


@blp.route("")
@blp.arguments(OrganisationQuerySchema, location="query")
@blp.response(200, RegistryOrganisationSchema(many=True))
def list_organisations(query):
    return organisations.search(current_actor(), **query)


@blp.route("", methods=["POST"])
@blp.arguments(OrganisationWriteSchema)
@blp.response(201, RegistryOrganisationSchema)
def create_organisation(body):
    """Register an organisation (code, name, kind required; ИНН and ОГРН checked)."""
    return organisations.view(organisations.create(current_actor(), body))


@blp.route("/<int:org_id>")
@blp.response(200, RegistryOrganisationSchema)
def get_organisation(org_id):
    return organisations.view(organisations.get(current_actor(), org_id))


@blp.route("/<int:org_id>", methods=["PATCH"])
@blp.arguments(OrganisationWriteSchema)
@blp.response(200, RegistryOrganisationSchema)
def edit_organisation(body, org_id):
    """Change the given fields; ``active: false`` keeps it and its history but offers it no more."""
    return organisations.view(organisations.edit(current_actor(), org_id, body))
