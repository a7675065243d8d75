"""The FastAPI app: ``create_app(settings)`` builds the JSON API, the reps' web pages and their middleware."""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from api.deps import Services, audit_denied
from api.routes import access, account_pages, identity, playbook, portfolio, teams, v1, web
from coach.config import Settings, get_settings
from coach.errors import CoachError, Forbidden, InvalidInput, NotFound, NotVisible, StoreError, TooLarge
from coach.workspace import Workspace

HERE = Path(__file__).resolve().parent
STATUS = (
    (TooLarge, 413),
    (NotFound, 404),
    (Forbidden, 403),
    (InvalidInput, 422),
    (StoreError, 503),
    (CoachError, 400),
)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
PAGE_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, workspace: Workspace | None = None) -> FastAPI:
    settings = settings or get_settings()
    owned = workspace is None
    ws = workspace or Workspace(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        import anyio.to_thread

        # Requests run in this many threads at once; the connection pool is sized from the same setting.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.api_threads
        # Load the embedding model, the vector index, the request detector and what a brief needs while the worker
        # waits for its first requests, rather than in the first report, search or brief. In a thread: startup
        # does not wait for it.
        threading.Thread(target=warm_up, args=(services,), name="coach-warm-up", daemon=True).start()
        yield
        if owned:
            ws.close()

    app = FastAPIOffline(  # /docs and /redoc with their scripts served from here: no CDN, they work offline
        title="coach",
        summary="Interaction coach for B2B account teams: log notes, read each account's flags and prep briefs.",
        version="1",
        lifespan=lifespan,
    )
    app.state.services = services = Services.build(ws, settings)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.session_secret(),
        session_cookie="coach_session",
        max_age=14 * 24 * 3600,
        same_site="lax",
        https_only=settings.cookie_secure,
    )
    app.add_middleware(BodyLimit, limit=settings.api_max_batch * settings.api_max_text_bytes + 1_000_000)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(v1.router)
    app.include_router(access.api)
    app.include_router(portfolio.api)
    app.include_router(web.router)
    app.include_router(account_pages.router)
    app.include_router(playbook.router)
    app.include_router(teams.router)
    app.include_router(access.pages)
    app.include_router(portfolio.pages)
    app.include_router(identity.router)
    if settings.slack_signing_secret and settings.slack_bot_token and settings.coach_api_token:
        from api.routes import slack

        app.include_router(slack.router(settings, ws.db))
    _errors(app)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        """Browsers ask for it on every first visit; without it, every page load logged a 404."""
        return FileResponse(
            HERE / "static" / "favicon.ico", headers={"Cache-Control": "public, max-age=86400"}
        )

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> Response:
        """For load balancers: the relational store answers. Says which worker process answered."""
        with ws.db.session() as session:
            session.execute(text("select 1"))
        return JSONResponse({"status": "ok"}, headers={"X-Coach-Worker": str(os.getpid())})

    @app.middleware("http")
    async def headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response: Response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if response.headers.get("content-type", "").startswith(
            "text/html"
        ) and not request.url.path.startswith(("/docs", "/redoc")):
            response.headers.setdefault("Content-Security-Policy", PAGE_CSP)
        if request.url.path.startswith("/v1/") or response.headers.get("content-type", "").startswith(
            "text/html"
        ):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    return app


def warm_up(services: Services) -> None:
    """The models, indexes and files the first report, search, brief and sign-in would otherwise load."""
    try:
        from coach.auth import dummy_hash
        from coach.signals.requests import detector

        ws = services.workspace
        vector = ws.embedder.embed(["warm up"])[0]
        ws.index.query(vector, 1)  # Chroma loads the collection's vector index on its first query
        detector()
        services.briefs.warm_up()  # the first brief on a fresh install embedded the playbook: 5-11 s
        dummy_hash()
    except Exception:
        log.warning("warming up the models failed; the first request will load them", exc_info=True)


class BodyLimit:
    """Refuses a request body larger than ``limit`` bytes with 413, whether it declares its length or streams it
    (chunked), before the app reads it into memory. The limit is a full batch of the largest notes, plus room."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(send)
            return
        seen = 0

        async def counting_receive() -> Any:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:  # a streamed body: the app's error handling answers 413
                    raise StarletteHTTPException(413, self._message())
            return message

        await self.app(scope, counting_receive, send)

    def _message(self) -> str:
        return (
            f"the request body is over {self.limit:,} bytes; send fewer or smaller interactions per request"
        )

    async def _refuse(self, send: Any) -> None:
        body = json.dumps({"detail": self._message()}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _errors(app: FastAPI) -> None:
    """Domain errors to HTTP statuses, in one place; pages get a page, the API gets JSON."""

    @app.exception_handler(CoachError)
    async def coach_error(request: Request, exc: CoachError) -> Response:
        status = next(code for kind, code in STATUS if isinstance(exc, kind))
        if isinstance(exc, NotVisible | Forbidden):  # refused for lack of access: audited, answered as usual
            await run_in_threadpool(audit_denied, request, status, getattr(exc, "account", None), str(exc))
        if web.wants_html(request):
            return web.error_page(request, status, str(exc))
        return JSONResponse({"detail": str(exc)}, status_code=status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code in (401, 403):
            await run_in_threadpool(audit_denied, request, exc.status_code, None, str(exc.detail))
        if web.wants_html(request) and exc.status_code != 401:
            return web.error_page(request, exc.status_code, str(exc.detail))
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"field": ".".join(str(p) for p in e["loc"][1:]) or "body", "message": e["msg"]}
            for e in exc.errors()
        ]
        if web.wants_html(request):
            return web.error_page(request, 422, "; ".join(f"{e['field']}: {e['message']}" for e in errors))
        return JSONResponse({"detail": "invalid request", "errors": errors}, status_code=422)
