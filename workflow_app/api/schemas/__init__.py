"""Marshmallow schemas of the API (also the source of the OpenAPI document), one module per resource, named
like the endpoint module in api/ that uses it; ``shared`` holds the shapes several resources nest."""
