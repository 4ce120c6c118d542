"""Loaded only by the token test's server (its PYTHONPATH names this folder): notes every teacher token drawn.

`gradlab.rooms.codes.new_token` draws a token with `secrets.token_urlsafe`; this wraps that function so that a
call from `new_token` appends the token to the file named by GRADLAB_TOKEN_SPY. The test then knows what to
look for in everything a student's browser received. Nothing else changes.
"""

import os
import secrets
import sys

_draw = secrets.token_urlsafe


def token_urlsafe(nbytes: int | None = None) -> str:
    value = _draw(nbytes)
    caller = sys._getframe(1)
    if caller.f_globals.get("__name__") == "gradlab.rooms.codes" and caller.f_code.co_name == "new_token":
        with open(os.environ["GRADLAB_TOKEN_SPY"], "a", encoding="utf-8") as out:
            out.write(value + "\n")
    return value


secrets.token_urlsafe = token_urlsafe
