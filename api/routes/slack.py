"""Slack's HTTP endpoint: /slack/events (commands, events, shortcuts, modals), signature-checked by bolt."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from slack_bolt.adapter.fastapi import SlackRequestHandler

from coach.slackbot.app import Links, build_app
from coach.slackbot.client import CoachAPI


def router(settings) -> APIRouter:  # type: ignore[no-untyped-def]
    bolt = build_app(
        settings,
        CoachAPI(settings.coach_api_url, settings.coach_api_token or ""),
        Links.from_settings(settings),
    )
    handler = SlackRequestHandler(bolt)
    routes = APIRouter(include_in_schema=False)

    @routes.post("/slack/events")
    async def events(request: Request) -> Response:
        return await handler.handle(request)

    return routes
