"""HTTP methods as RFC 9110 has them: a 405 and an OPTIONS answer name every method of the path.

Starlette routes each method of a path separately, so a 405 said ``Allow: GET`` on
``/v1/documents/{doc_id}``, which also takes DELETE, and OPTIONS got that 405 too. Here the
methods of every route matching the path are gathered; OPTIONS answers 204 with them, another
method none of them takes gets 405 with them, and HEAD is served wherever GET is (RFC 9110 §9.1:
a server supports GET and HEAD; the server leaves the body out of a HEAD answer).
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match, Mount
from starlette.types import ASGIApp, Receive, Scope, Send

_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")  # in the order Allow lists them


def allowed_methods(routes: Iterable[BaseRoute], scope: Scope) -> list[str]:
    """The methods the routes take on the request's path (OPTIONS included), empty for no route.

    Each method is asked of ``route.matches``, which FastAPI's included routers answer for the
    routes inside them too (they keep no flat list of methods)."""
    methods: set[str] = set()
    for route in routes:
        if route.matches(scope)[0] == Match.NONE:
            continue
        if isinstance(route, Mount):  # the page's static files, which take any method to a 405
            methods |= {"GET", "HEAD"}
            continue
        methods |= {m for m in _METHODS if route.matches({**scope, "method": m})[0] == Match.FULL}
    if not methods:
        return []
    if "GET" in methods:
        methods.add("HEAD")
    return [m for m in _METHODS if m in methods] + ["OPTIONS"]


class Methods:
    """ASGI middleware over the app's routes: OPTIONS, HEAD and 405 for a whole path."""

    def __init__(self, app: ASGIApp, routes: Iterable[BaseRoute]) -> None:
        self.app, self.routes = app, routes  # the router's own list: routes added later count

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        allowed = allowed_methods(self.routes, scope)
        method = scope["method"]
        if not allowed:  # no such path: the router's 404
            await self.app(scope, receive, send)
        elif method == "OPTIONS":
            await Response(status_code=204, headers={"Allow": ", ".join(allowed)})(scope, receive, send)
        elif method not in allowed:
            listed = ", ".join(allowed)
            detail = f"{method} is not allowed here; this path takes {listed}"
            response = JSONResponse({"detail": detail}, status_code=405, headers={"Allow": listed})
            await response(scope, receive, send)
        elif method == "HEAD":  # answered as GET; the server sends the headers only
            await self.app({**scope, "method": "GET"}, receive, send)
        else:
            await self.app(scope, receive, send)
