"""The coach API as the Slack bot sees it: HTTP calls with a delegate token, acting for one coach user.

The bot never reads the store: it asks ``/v1`` as the user the Slack person maps
to, so it sees exactly what that user may see.
"""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import quote

import httpx


class CoachAPIError(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class CoachAPI:
    def __init__(
        self, base_url: str, token: str, timeout: float = 120.0, transport: httpx.BaseTransport | None = None
    ):
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=timeout,
            transport=transport,
            headers={"Authorization": f"Bearer {token}"},
        )

    def _call(
        self, method: str, path: str, user: str | None, slack_user: str | None = None, **kwargs: Any
    ) -> Any:
        """One call; as ``user`` (an e-mail) unless None (the bot's own calls), naming the Slack person acted
        for (``slack_user``) for the audit trail."""
        headers = {"X-Coach-On-Behalf-Of": user} if user is not None else {}
        if slack_user:
            headers["X-Coach-Slack-User"] = slack_user
        try:
            response = self._http.request(method, path, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            raise CoachAPIError(
                0, f"the coach API at {self.base_url} is unreachable ({type(exc).__name__})"
            ) from None
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            raise CoachAPIError(response.status_code, str(detail))
        return response.json() if response.content else None

    def accounts(self, user: str, slack_user: str | None = None) -> list[dict[str, Any]]:
        return cast("list[dict[str, Any]]", self._call("GET", "/v1/accounts", user, slack_user))

    def report(self, user: str, account: str, slack_user: str | None = None) -> dict[str, Any]:
        return cast(
            "dict[str, Any]",
            self._call("GET", f"/v1/accounts/{quote(account, safe='')}/report", user, slack_user),
        )

    def brief(
        self, user: str, account: str, meeting: str | None = None, slack_user: str | None = None
    ) -> dict[str, Any]:
        params = {"meeting": meeting} if meeting else {}
        return cast(
            "dict[str, Any]",
            self._call(
                "GET", f"/v1/accounts/{quote(account, safe='')}/brief", user, slack_user, params=params
            ),
        )

    def search(self, user: str, query: str, slack_user: str | None = None) -> list[dict[str, Any]]:
        return cast(
            "list[dict[str, Any]]",
            self._call("GET", "/v1/search", user, slack_user, params={"q": query, "k": 5}),
        )

    def log(
        self, user: str, account: str, text: str, kind: str = "note", slack_user: str | None = None
    ) -> dict[str, Any]:
        return cast(
            "dict[str, Any]",
            self._call(
                "POST",
                "/v1/interactions",
                user,
                slack_user,
                json={"account": account, "text": text, "kind": kind},
            ),
        )

    # --- the bot's own calls (its delegate token only): proven Slack links --------------------------------
    def linked(self, slack_user: str) -> str | None:
        """The coach e-mail this Slack user proved to be (confirmed in the web app), or None."""
        try:
            found = self._call("GET", f"/v1/slack/links/{quote(slack_user, safe='')}", None, slack_user)
            return str(found["email"])
        except CoachAPIError as exc:
            if exc.status == 404:
                return None
            raise

    def link_url(self, slack_user: str, slack_name: str | None) -> str:
        """A one-time link for this Slack user to confirm, signed in to the web app."""
        body = {"slack_user": slack_user, "slack_name": slack_name}
        return str(self._call("POST", "/v1/slack/link-codes", None, slack_user, json=body)["url"])

    def unlink(self, slack_user: str) -> bool:
        try:
            self._call("DELETE", f"/v1/slack/links/{quote(slack_user, safe='')}", None, slack_user)
        except CoachAPIError as exc:
            if exc.status == 404:
                return False
            raise
        return True
