"""The coach API as the Slack bot sees it: HTTP calls with a delegate token, acting for one coach user.

The bot never reads the store: it asks ``/v1`` as the user the Slack person maps
to, so it sees exactly what that user may see.
"""

from __future__ import annotations

from typing import Any
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

    def _call(self, method: str, path: str, user: str, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, path, headers={"X-Coach-On-Behalf-Of": user}, **kwargs)
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
        return response.json()

    def accounts(self, user: str) -> list[dict[str, Any]]:
        return self._call("GET", "/v1/accounts", user)

    def report(self, user: str, account: str) -> dict[str, Any]:
        return self._call("GET", f"/v1/accounts/{quote(account, safe='')}/report", user)

    def brief(self, user: str, account: str, meeting: str | None = None) -> dict[str, Any]:
        params = {"meeting": meeting} if meeting else {}
        return self._call("GET", f"/v1/accounts/{quote(account, safe='')}/brief", user, params=params)

    def search(self, user: str, query: str) -> list[dict[str, Any]]:
        return self._call("GET", "/v1/search", user, params={"q": query, "k": 5})

    def log(self, user: str, account: str, text: str, kind: str = "note") -> dict[str, Any]:
        return self._call(
            "POST", "/v1/interactions", user, json={"account": account, "text": text, "kind": kind}
        )
