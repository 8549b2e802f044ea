"""What a server process (gunicorn's wsgi.py, the scheduler) does once before its first request."""

import gc

from flask import Flask


def ready_to_serve(app: Flask) -> Flask:
    """What a server process does once, after building the app and before its first request.

    Everything alive now (imported modules, the app, its routes and schemas) lives as long as the process:
    ``gc.freeze()`` moves it out of the garbage collector's reach, so the full collections that requests
    trigger stop walking it again and again (one took about 0.1 s, a pause in some request, every few
    hundred requests). Only for server processes: tests build many apps and must let them go.
    """
    gc.collect()
    gc.freeze()
    return app
