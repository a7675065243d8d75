"""Tenancy and identity attacked end to end (tests/hardening/tenancy.py; bench/robustness.py prints the same):
nothing succeeds. Each scenario runs against a real coach server on loopback with the Slack bot and a loopback
Slack, on the test's backend (SQLite + embedded Chroma, or PostgreSQL + a Chroma server)."""

import pytest

from tests.hardening import tenancy


@pytest.mark.parametrize("scenario", list(tenancy.SCENARIOS))
def test_no_attack_on_tenancy_or_identity_succeeds(scenario, settings, embedder):
    with tenancy.world(settings, embedder) as world:
        attempts = tenancy.SCENARIOS[scenario](world)
    assert attempts, scenario
    succeeded = [a for a in attempts if a.succeeded]
    assert not succeeded, [(a.attempt, a.detail) for a in succeeded]
