"""Slack's HTTP endpoint: /slack/events (commands, events, shortcuts, modals), signature-checked by bolt, each signed
request handled once (coach.slackbot.replay)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from slack_bolt.adapter.fastapi import SlackRequestHandler

from coach.config import Settings
from coach.slackbot.app import build_app
from coach.slackbot.client import CoachAPI
from coach.slackbot.replay import SeenRequests
from coach.store.database import Database


def router(settings: Settings, db: Database) -> APIRouter:
    bolt = build_app(settings, CoachAPI(settings.coach_api_url, settings.coach_api_token or ""))
    handler = SlackRequestHandler(bolt)
    seen = SeenRequests(db, settings.slack_signing_secret or "")
    routes = APIRouter(include_in_schema=False)

    @routes.post("/slack/events")
    async def events(request: Request) -> Response:
        body = await request.body()
        if not seen.first_time(body, {k.lower(): v for k, v in request.headers.items()}):
            request.app.state.services.audit.record(None, "slack", "denied", None, "a replayed Slack request")
            return JSONResponse({"detail": "this signed Slack request was handled already (a replay)"}, 401)
        return await handler.handle(request)

    return routes
