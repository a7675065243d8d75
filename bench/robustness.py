"""Robustness: the hardening scenarios the test suite asserts, run once more and counted.

    python bench/robustness.py [--fuzz-examples 50] [--only tenancy]

1. API fuzzing: schemathesis against the app's own OpenAPI (every operation, valid and invalid requests, as a
   signed-in rep; the account operations once more on a real account): cases run and failures (a 5xx, an
   undocumented status or content type, a body off its schema).
2. Bad inputs (tests/hardening/bad_inputs.py, tests/data/bad/): each beside good records in one batch; its
   outcome, the message the user gets, and whether every good record went in.
3. Prompt injection (tests/data/injections.jsonl): attempts planted in notes, quoted replies, signatures,
   participant names and e-mail headers, analysed and briefed with both engines; the LLM is a loopback model
   scripted to obey any injection it sees. Findings changed, with the guard on and (baseline, same run) off.
4. LLM faults (tests/hardening/faults.py): timeouts, resets, 429 with Retry-After, 5xx, truncated and
   schema-violating JSON, invented quotes; which engine answered and after how many requests, with the
   configured retries and (baseline, same run) with none.
5. Tenancy and identity (tests/hardening/tenancy.py): Slack take-over, cross-team poisoning, the first-note race,
   revoked sessions and disabled users, tried against a served coach with the bot and a loopback Slack; every
   attempt and whether it succeeded (must be 0).

Needs no ../shared and no network: everything runs on loopback.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api.app import create_app
from coach.config import Settings
from coach.embedding import default_embedder
from coach.workspace import Workspace
from tests.hardening import bad_inputs, faults, injection, tenancy
from tests.hardening.control import guard_off
from tests.hardening.env import two_teams
from tests.hardening.fuzz import fuzz_api


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fuzz-examples", type=int, default=50, help="examples per operation and mode")
    parser.add_argument("--only", choices=["tenancy"], help="run only this section")
    args = parser.parse_args()
    logging.getLogger("coach").setLevel(logging.ERROR)  # each fallback's reason is in the table already
    logging.getLogger("slack_bolt").setLevel(logging.ERROR)
    embedder = default_embedder(32)
    work = Path(tempfile.mkdtemp(prefix="coach-robustness-"))
    if args.only == "tenancy":
        sys.exit(1 if _tenancy(embedder, work) else 0)
    failed = 0

    print("== 1. API fuzzing (schemathesis, from the app's own OpenAPI)")
    ws = Workspace(
        Settings(data_dir=work / "fuzz", _env_file=None, internal_domains=["atlasfieldcloud.com"]),
        embedder=embedder,
    )
    env = two_teams(ws)
    result = fuzz_api(
        create_app(ws.settings, ws),
        env.tokens["ana"],
        examples=args.fuzz_examples,
        account="Pinecrest Utilities",
    )
    ws.close()
    print(
        f"{result.operations} operations, {result.cases} cases in {result.seconds:.1f} s, "
        f"{len(result.failures)} failures"
    )
    for label, count in sorted(result.by_operation.items()):
        print(f"  {label:45} {count:5} cases")
    for failure in result.failures[:10]:
        print(f"  FAIL {failure}")
    failed += len(result.failures)

    print("\n== 2. bad inputs (each in a batch beside good records)")
    ws = Workspace(Settings(data_dir=work / "bad", _env_file=None), embedder=embedder)
    outcomes = bad_inputs.run_all(ws, work)
    ws.close()
    print(f"{'input':50} {'outcome':9} {'good kept':9}  message")
    for o in outcomes:
        message = re.sub(r"^\S*/", "", o.reasons[0] if o.reasons else "stored safely")[:70]
        print(
            f"{o.case[:50]:50} {o.outcome:9} {'yes' if o.good_kept else 'NO':9}  {message}"
            + ("" if o.ok else f"   <-- {o.problem}")
        )
    bad = sum(not o.ok for o in outcomes)
    counts = {k: sum(o.outcome == k for o in outcomes) for k in ("rejected", "partial", "stored")}
    print(
        f"{len(outcomes)} inputs: {counts['rejected']} rejected with a message, {counts['partial']} partly "
        f"stored, {counts['stored']} stored safely; good records lost: {sum(not o.good_kept for o in outcomes)}; "
        f"unexpected: {bad}"
    )
    failed += bad

    print("\n== 3. prompt injection (both engines; the LLM obeys whatever injection reaches it)")
    started = time.perf_counter()
    bench = injection.InjectionBench(embedder, work)
    try:
        corpus = injection.attempts()
        guarded = [bench.run(a) for a in corpus]
        with guard_off():
            unguarded = [bench.run(a) for a in corpus]
    finally:
        bench.close()
    print(f"{'where':12} {'attempts':>8} {'changed (guard on)':>19} {'changed (guard off, baseline)':>30}")
    for where in sorted({a["where"] for a in corpus}):
        on = [o for o in guarded if o.where == where]
        off = [o for o in unguarded if o.where == where]
        print(
            f"{where:12} {len(on):8} {sum(bool(o.changed) for o in on):19} {sum(bool(o.changed) for o in off):30}"
        )
    changed = sum(bool(o.changed) for o in guarded)
    print(
        f"{len(corpus)} attempts: findings, severities or briefs changed or leaked: {changed} with the guard "
        f"(must be 0), {sum(bool(o.changed) for o in unguarded)} without it; reached the model: "
        f"{sum(o.reached_model > 0 for o in guarded)} vs {sum(o.reached_model > 0 for o in unguarded)} "
        f"({time.perf_counter() - started:.1f} s)"
    )
    for o in guarded:
        if o.changed:
            print(f"  CHANGED {o.attempt}: {o.changed}")
    failed += changed

    print("\n== 4. LLM faults (retries 2, backoff 0.05 s; baseline: no retries, same run)")
    print(
        f"{'scenario':42} {'expected':30} {'answered by':48} {'requests':>8} {'seconds':>8} {'no-retry baseline':>20}"
    )
    for name in faults.SCENARIOS:
        outcome = faults.run_scenario(name, embedder, work)
        baseline = faults.run_scenario(name, embedder, work, retries=0)
        answered = (
            "llm"
            if outcome.engine == "llm:test-model"
            else outcome.engine.replace("offline (fallback from llm:test-model: ", "offline: ").removesuffix(
                ")"
            )
        )
        base = "llm" if baseline.engine == "llm:test-model" else "offline"
        print(
            f"{name[:42]:42} {outcome.expected[:30]:30} {answered[:48]:48} {outcome.requests:8} "
            f"{outcome.seconds:8.2f} {base:>20}" + ("" if outcome.ok else f"   <-- {outcome.detail}")
        )
        failed += not outcome.ok
    failed += _tenancy(embedder, work)
    print(f"\n{'all scenarios as expected' if not failed else f'{failed} unexpected outcome(s)'}")
    sys.exit(1 if failed else 0)


def _tenancy(embedder, work: Path) -> int:  # type: ignore[no-untyped-def]
    print("\n== 5. tenancy and identity (a served coach, the Slack bot, Slack on loopback)")
    print(f"{'scenario':22} {'attempt':66} {'succeeded':>9}  detail")
    attempts = []
    for n, (name, scenario) in enumerate(tenancy.SCENARIOS.items()):
        settings = Settings(
            data_dir=work / f"tenancy-{n}", _env_file=None, internal_domains=["atlasfieldcloud.com"]
        )
        with tenancy.world(settings, embedder) as world:
            found = scenario(world)
        for a in found:
            print(f"{name:22} {a.attempt[:66]:66} {'YES' if a.succeeded else 'no':>9}  {a.detail[:60]}")
        attempts += found
    succeeded = sum(a.succeeded for a in attempts)
    per = {name: sum(a.scenario == name for a in attempts) for name in tenancy.SCENARIOS}
    print(
        f"{len(attempts)} attempts ({', '.join(f'{k} {v}' for k, v in per.items())}): {succeeded} succeeded "
        "(must be 0)"
    )
    return succeeded


if __name__ == "__main__":
    main()
