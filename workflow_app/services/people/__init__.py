"""Who acts and what they may do: ``actors`` (the ``Actor`` of a request; password and token checks),
``access`` (what an actor may see and work on), ``sign_in`` (sign-in, sign-out, own password as audited
commands; a token for a password through the API), ``browser_sessions`` (the server-side session a cookie
points to), ``login_limits``, ``tokens`` (personal API tokens issued, listed and revoked; sessions listed and
ended), ``administration`` (creating users and the administrator's commands over everyone's accounts),
``profile`` (the caller's own), ``deputies``, ``organisations`` (the registry every user belongs to), ``names``
(display names for read models)."""
