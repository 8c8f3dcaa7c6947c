"""A bound on request bodies, enforced before the body is read: every JSON request is small.

Uploads (``POST /v1/documents``) stream to disk under their own limit (``deps.read_upload``);
every other body is a JSON request of a few kilobytes. A declared ``Content-Length`` over the
limit is refused at once; a body without one is counted as it arrives and cut off.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# A question of 2,000 characters written as \uXXXX escapes is 12 KB; the filters add less than 2 KB.
MAX_JSON_KB = 64


def is_upload(scope: Scope) -> bool:
    return scope["method"] == "POST" and scope["path"].rstrip("/") == "/v1/documents"


class BodyLimit:
    """ASGI middleware: 413 for a request body over ``limit_kb``, except where ``exempt`` says."""

    def __init__(
        self, app: ASGIApp, limit_kb: int = MAX_JSON_KB, exempt: Callable[[Scope], bool] = is_upload
    ) -> None:
        self.app, self.limit, self.limit_kb, self.exempt = app, limit_kb * 1024, limit_kb, exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.exempt(scope):
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.limit:
            await self._too_large(scope, receive, send)
            return
        chunks, total = [], 0
        while True:  # at most ``limit`` bytes are ever held
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunks.append(message.get("body", b""))
            total += len(chunks[-1])
            if total > self.limit:
                await self._too_large(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(b"".join(chunks), receive), send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        detail = f"the request body is larger than the limit of {self.limit_kb} KB for JSON requests"
        await JSONResponse({"detail": detail}, status_code=413, headers={"Connection": "close"})(
            scope, receive, send
        )


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the app the body already read, then waits as the server's would."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
