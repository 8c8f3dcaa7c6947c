"""Security headers: ``nosniff`` on every response, a Content-Security-Policy for the page.

The page (``service/static``) is one HTML file, one stylesheet and one script, all from /static,
with no inline script, no inline style and no ``style`` attribute (page.js sets ``element.style``
through the CSSOM, which a CSP does not restrict). Its icon is ``data:,``, hence ``img-src data:``;
its requests go to the same origin (``connect-src`` falls back to ``'self'``).
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
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
    """ASGI middleware: ``X-Content-Type-Options: nosniff`` on every response it sees."""

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
