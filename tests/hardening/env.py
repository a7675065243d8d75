"""A workspace with two teams, used by the hardening scenarios: Ana (team A) logged the bundled sample, Ben (team
B) logged one account of his own, Mia manages team A, Root is an admin."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from coach.auth import Users
from coach.ingest.bundled import load_sample
from coach.ingest.jsonl import read_jsonl
from coach.ingest.pipeline import IngestPipeline
from coach.workspace import Workspace

PASSWORDS = {"ana": "ana-password", "ben": "ben-password", "mia": "mia-password", "root": "root-password"}
BEN_ACCOUNT = "Bravo Freight"
BEN_NOTE = (
    "Call with Lena. Lena complained that invoices from the depot arrive three weeks late and asked for a "
    "weekly export."
)


@dataclass
class TwoTeams:
    workspace: Workspace
    users: Users
    tokens: dict[str, str]
    ids: dict[str, int]


class _LoggedBy:
    """An ingest pipeline that logs everything as one user (the sample loader does not take a user)."""

    def __init__(self, pipeline: IngestPipeline, user_id: int) -> None:
        self.pipeline, self.user_id = pipeline, user_id

    def defaults(self, **kw: Any) -> Any:
        return self.pipeline.defaults(**kw)

    def ingest(self, items: Any, on_item: Any = None) -> Any:
        return self.pipeline.ingest(items, on_item, logged_by=self.user_id)


def two_teams(workspace: Workspace) -> TwoTeams:
    users = Users(workspace.db)
    ids = {
        "ana": users.add("ana@vendor.example", "Ana Lima", "rep", PASSWORDS["ana"]).id,
        "ben": users.add("ben@vendor.example", "Ben Okafor", "rep", PASSWORDS["ben"]).id,
        "mia": users.add("mia@vendor.example", "Mia Chen", "manager", PASSWORDS["mia"]).id,
        "root": users.add("root@vendor.example", "Root Admin", "admin", PASSWORDS["root"]).id,
    }
    users.add_team("Team A")
    users.add_team("Team B")
    users.add_member("Team A", "ana@vendor.example")
    users.add_member("Team A", "mia@vendor.example", manages=True)
    users.add_member("Team B", "ben@vendor.example")
    pipeline = IngestPipeline(workspace)
    load_sample(_LoggedBy(pipeline, ids["ana"]))  # type: ignore[arg-type]
    record = {
        "account": BEN_ACCOUNT,
        "kind": "call",
        "date": "2026-10-01",
        "rep": "Ben Okafor",
        "text": BEN_NOTE,
    }
    import json

    pipeline.ingest(
        read_jsonl(json.dumps(record).encode(), "ben.jsonl", pipeline.defaults()), logged_by=ids["ben"]
    )
    tokens = {who: users.create_token(f"{who}@vendor.example", "hardening")[0] for who in PASSWORDS}
    return TwoTeams(workspace, users, tokens, ids)
