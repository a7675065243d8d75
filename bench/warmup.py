"""A worker's first requests after it starts, with and without warming the models up at startup.

    python bench/warmup.py [--runs 2]

Builds a store from the bundled sample, then for each run starts ``uvicorn`` in a fresh process (the way
``coach serve`` runs a worker), waits for GET /healthz, leaves it idle 8 s (a worker that has just joined a load
balancer), and times its first account report (facts not cached yet), first search, second search and first prep
brief (on a fresh install: the playbook's passages not embedded yet). "off" is the same app with the warm-up replaced
by nothing, measured in the same run, alternating.
"""

from __future__ import annotations

import argparse
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coach.auth import Users  # noqa: E402
from coach.config import Settings  # noqa: E402
from coach.ingest.bundled import load_sample  # noqa: E402
from coach.ingest.pipeline import IngestPipeline  # noqa: E402
from coach.store.vectors import PassageIndex  # noqa: E402
from coach.workspace import Workspace  # noqa: E402

WORKER = """
import sys, uvicorn
sys.path.insert(0, sys.argv[3])
import api.app as app
if sys.argv[2] == "off":
    app.warm_up = lambda services: None
from coach.config import Settings
uvicorn.run(app.create_app(Settings()), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


def first_requests(folder: Path, token: str, mode: str) -> tuple[float, ...]:
    with sqlite3.connect(folder / "coach.db") as db:  # every run starts with no cached facts
        db.execute("delete from interaction_facts")
    ws = Workspace(Settings(data_dir=folder, _env_file=None))  # nor the playbook's passages: a fresh install
    PassageIndex(ws.index).replace([], [], [], np.zeros((0, 384), dtype=np.float32))
    ws.close()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("COACH_")} | {
        "COACH_DATA_DIR": str(folder)
    }
    proc = subprocess.Popen([sys.executable, "-c", WORKER, str(port), mode, str(ROOT)], env=env)
    base, headers = f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {token}"}
    try:
        for _ in range(600):
            try:
                if httpx.get(base + "/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        time.sleep(8)
        timings = []
        for path, params in (
            ("/v1/accounts/Quayside Elevators/report", None),
            ("/v1/search", {"q": "outage"}),
            ("/v1/search", {"q": "renewal"}),
            ("/v1/accounts/Quayside Elevators/brief", None),
        ):
            t0 = time.perf_counter()
            response = httpx.get(base + path, params=params, headers=headers, timeout=120)
            timings.append(time.perf_counter() - t0)
            response.raise_for_status()
        return tuple(timings)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=2, help="workers started per mode (default 2)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="coach-warmup-"))
    ws = Workspace(Settings(data_dir=folder, _env_file=None))
    load_sample(IngestPipeline(ws))
    users = Users(ws.db)
    users.add("admin@bench.example", "Bench Admin", "admin", "bench-password-1")
    token = users.create_token("admin@bench.example", "bench")[0]
    ws.close()
    results: dict[str, list[tuple[float, ...]]] = {"off": [], "on": []}
    for _ in range(args.runs):
        for mode in ("off", "on"):
            results[mode].append(first_requests(folder, token, mode))
    print(f"a fresh worker's first requests, median of {args.runs} workers per mode (ms)")
    print(f"{'':22} {'no warm-up':>11} {'warm-up':>9} {'ratio':>7}")
    for i, label in enumerate(("first report (cold)", "first search", "second search", "first brief")):
        off = statistics.median(r[i] for r in results["off"]) * 1000
        on = statistics.median(r[i] for r in results["on"]) * 1000
        print(f"{label:22} {off:11.0f} {on:9.0f} {off / on:6.1f}x")


if __name__ == "__main__":
    main()
