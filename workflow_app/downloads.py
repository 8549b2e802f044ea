"""How every face of the product hands out a stored file: never in the uploader's content type.

An attachment's bytes and declared type come from whoever uploaded it; served as ``text/html`` or
``image/svg+xml`` they would run as a page of this origin. The web pages and the API both answer through
:func:`attachment_response`: ``application/octet-stream``, ``Content-Disposition: attachment``, ``nosniff``,
a CSP that runs nothing, not cached by shared caches.
"""

import io

from flask import send_file


def attachment_response(att):
    response = send_file(
        io.BytesIO(att.content),
        mimetype="application/octet-stream",
        as_attachment=True,
        download_name=att.file_name,
        max_age=0,
    )
    response.headers["X-Content-SHA256"] = att.sha256
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response
