"""Security headers: ``nosniff`` on every response, a Content-Security-Policy for the page; and the
allowed-hosts check (against DNS rebinding), which answers 400 in JSON like every other error.

The page (``service/static``) is one HTML file, one stylesheet and one script, all from /static,
with no inline script, no inline style and no ``style`` attribute (page.js sets ``element.style``
through the CSSOM, which a CSP does not restrict). Its icon is ``data:,``, hence ``img-src data:``;
its requests go to the same origin (``connect-src`` falls back to ``'self'``).
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_CSP = "; ".join(
    (
        "default-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


class SecurityHeaders:
    """ASGI middleware: ``X-Content-Type-Options: nosniff`` on every response it sees (the app puts
    it outside Starlette's error middleware, so a 500 says it too)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).setdefault("X-Content-Type-Options", "nosniff")
            await send(message)

        await self.app(scope, receive, send_with_headers)


def host_name(header: str) -> str:
    """The host of a Host header, lower-cased, without its port ("[::1]:8000" -> "[::1]")."""
    header = header.strip().lower()
    if header.startswith("["):  # an IPv6 address
        return header.partition("]")[0] + "]"
    return header.partition(":")[0]


class AllowedHosts:
    """ASGI middleware: 400 for a Host header not in ``allowed_hosts`` ("*.example.com": its subdomains;
    "*": any), as Starlette's TrustedHostMiddleware, with a JSON body (``{"detail": ...}``)."""

    def __init__(self, app: ASGIApp, allowed_hosts: Sequence[str]) -> None:
        self.app, self.allowed = app, [host.lower() for host in allowed_hosts]

    def allows(self, host: str) -> bool:
        return any(
            pattern == "*" or host == pattern or (pattern.startswith("*.") and host.endswith(pattern[1:]))
            for pattern in self.allowed
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.allows(host_name(Headers(scope=scope).get("host", ""))):
            await self.app(scope, receive, send)
            return
        detail = "Invalid host header: this service answers only the hosts in DOCQA_ALLOWED_HOSTS"
        await JSONResponse({"detail": detail}, status_code=400)(scope, receive, send)
