"""Marshmallow schemas of the API (also the source of the OpenAPI document), one module per resource:
``auth``, ``processes``, ``tasks``, ``deployed_models``; council, audit, scheduler and notices keep theirs beside
their endpoints."""
