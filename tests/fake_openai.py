"""A real HTTP server on loopback that speaks the chat-completions protocol and plays scripted replies.

Only OpenAI itself is faked, at the network edge: the real ``openai`` client and
LangChain's ChatOpenAI talk to this server over TCP.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

POLL = (
    0.05  # seconds between the server thread's checks for shutdown (the default 0.5 s made every close slow)
)


class FakeOpenAI:
    def __init__(self) -> None:
        self.replies: deque[tuple[str, Any]] = deque()
        self.requests: list[dict[str, Any]] = []
        self.default: tuple[str, Any] | None = None
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def handle(self) -> None:
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up first
                    super().handle()

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                server.requests.append(body)
                kind, value = server.replies.popleft() if server.replies else (server.default or ("json", {}))
                if (
                    callable(value) and kind == "script"
                ):  # a reply computed from the request (e.g. obey its text)
                    kind, value = value(body)
                if kind == "sleep":
                    time.sleep(value)
                    kind, value = "json", {}
                if kind == "reset":  # drop the connection without an answer (RST)
                    import socket
                    import struct

                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.connection.close()
                    self.close_connection = True
                    return
                if kind in ("status", "retry_after"):
                    status, wait = (429, value) if kind == "retry_after" else (value, None)
                    payload = json.dumps(
                        {"error": {"message": f"error {status}", "type": "server_error"}}
                    ).encode()
                    self.send_response(status)
                    if wait is not None:
                        self.send_header("Retry-After", str(wait))
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                content = value if kind == "raw" else json.dumps(value)
                payload = json.dumps(
                    {
                        "id": "chatcmpl-test",
                        "object": "chat.completion",
                        "created": 0,
                        "model": body.get("model", "m"),
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": content},
                                "finish_reason": "stop",
                            }
                        ],
                        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(POLL,), daemon=True)
        self._thread.start()

    def reply(self, value: Any, kind: str = "json") -> None:
        self.replies.append((kind, value))

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def prompts(self) -> list[str]:
        return [
            m["content"]
            for r in self.requests
            for m in r.get("messages", [])
            if isinstance(m.get("content"), str)
        ]
