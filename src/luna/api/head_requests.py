"""HEAD wherever GET works (RFC 9110 §9.3.2): health checkers and link checkers probe with HEAD, and
FastAPI routes a GET route's HEAD to 405.

A HEAD request is passed on as GET, and the answer goes back with its status and headers (the GET's
``content-length`` included, as HEAD promises) but without a body.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, without_body)
