"""In a pool, the tactical monitor runs on the leader only (workers/leadership.py): the other instances pass
its HTTP routes (`POST/GET /v1/tracks`, `GET /v1/alerts`) on to the leader, with the caller's own
`Authorization`, and answer with the leader's reply. The track stream (`/v1/tracks/stream`, a
WebSocket) stays on the instance the client connected to; each of its messages is passed on as a
`POST /v1/tracks` to whoever leads at that moment (`TrackRelay`), so a change of leader costs the
stream nothing but a 503 for the messages sent while there is none. The monitor's alerts need no passing on: they
are events, written to the database, and reach every instance's streams.

While there is no leader (the old one died a moment ago and no one has taken over yet) these routes
answer 503 with Retry-After: tracks are a live feed, sent again every second or so.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable

import httpx

from ..errors import Unavailable
from .problems import problem

PROXIED = ("/v1/tracks", "/v1/alerts")
HOP_BY_HOP = {b"host", b"content-length", b"connection", b"transfer-encoding", b"keep-alive"}
PASSED_BACK = {"content-type", "etag", "location", "retry-after"}


class LeaderProxy:
    def __init__(self, app: Any, leadership: Any, self_url: str):
        self.app = app
        self.leadership = leadership
        self.self_url = self_url
        self._client = httpx.AsyncClient(timeout=10.0)

    async def __call__(self, scope: dict, receive: Callable[[], Awaitable[dict]], send: Callable[[dict], Awaitable[None]]) -> None:
        if scope["type"] != "http" or scope.get("path") not in PROXIED or self.leadership.leading:
            await self.app(scope, receive, send)
            return
        leader = self.leadership.leader_url()
        if not leader or leader == self.self_url:
            await problem("unavailable", "the pool is electing the instance that runs the tactical monitor; send again",
                          headers={"Retry-After": "1"})(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope.get("headers", []) if k not in HOP_BY_HOP]
        query = scope.get("query_string", b"").decode("latin-1")
        url = f"{leader}{scope['path']}" + (f"?{query}" if query else "")
        try:
            reply = await self._client.request(scope["method"], url, headers=headers, content=body)
        except httpx.HTTPError:
            await problem("unavailable", "the instance that runs the tactical monitor does not answer; send again",
                          headers={"Retry-After": "1"})(scope, receive, send)
            return
        out = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in reply.headers.items() if k.lower() in PASSED_BACK]
        out.append((b"content-length", str(len(reply.content)).encode()))
        await send({"type": "http.response.start", "status": reply.status_code, "headers": out})
        await send({"type": "http.response.body", "body": reply.content})


class TrackRelay:
    """The track stream's messages, on an instance that does not lead, passed on to the one that does."""

    def __init__(self, leadership: Any, self_url: str):
        self.leadership = leadership
        self.self_url = self_url
        self._client = httpx.AsyncClient(timeout=10.0)

    @property
    def leading(self) -> bool:
        return bool(self.leadership.leading)

    async def ingest(self, authorization: str, reports: list[Any]) -> dict:
        """The leader's answer to these reports: its ingest counts, or `{"error": problem}`."""
        leader = self.leadership.leader_url()
        if not leader or leader == self.self_url:
            return {"error": Unavailable("the pool is electing the instance that runs the tactical monitor; send again").to_dict()}
        try:
            reply = await self._client.post(f"{leader}/v1/tracks", json={"reports": reports}, headers={"Authorization": authorization})
            body = reply.json()
        except (httpx.HTTPError, ValueError):
            return {"error": Unavailable("the instance that runs the tactical monitor does not answer; send again").to_dict()}
        return body if reply.status_code == 200 else {"error": body}
