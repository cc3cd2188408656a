"""The WSGI shapes the endpoint's request handlers share, and the one body reader they use.

The middleware and the control routes both read a request body before deciding what to do with
it; the body is put back afterwards, because moto reads it again from ``wsgi.input``.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import Any

#: WSGI's ``start_response(status, headers)`` callable (PEP 3333).
StartResponse = Callable[..., Any]
#: A WSGI application: ``app(environ, start_response) -> body chunks``.
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def read_body(environ: dict[str, Any]) -> bytes:
    """The request body (``CONTENT_LENGTH`` bytes); ``wsgi.input`` is replaced so it reads again.

    A missing or malformed ``CONTENT_LENGTH`` means no body.
    """
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body
