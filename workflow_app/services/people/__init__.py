"""Who acts and what they may do: ``actors`` (the ``Actor`` of a request; password and token checks),
``access`` (what an actor may see and work on), ``sign_in`` (sign-in, sign-out, own password as audited
commands), ``browser_sessions`` (the server-side session a cookie points to), ``login_limits``, ``tokens``
(personal API tokens and sessions listed and revoked), ``accounts`` (creating users, issuing tokens, the own
profile), ``administration`` (the administrator's commands over everyone's accounts), ``deputies``,
``organisations`` (the registry every user belongs to), ``names`` (display names for read models)."""
