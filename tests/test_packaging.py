"""The package a user installs is the package tested: a wheel built from this checkout, installed into a fresh
virtual environment, runs ``coach analyze`` and ``coach brief`` from a folder outside the repository, reading the
prompts and the playbook it carries itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{' '.join(args)}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done


def test_the_wheel_carries_its_prompts_and_playbook_and_runs_outside_the_repository(tmp_path):
    wheels = tmp_path / "wheels"
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(ROOT),
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(wheels),
        ],
        tmp_path,
    )
    (wheel,) = wheels.glob("coach-*.whl")

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp_path)
    python = venv / "bin" / "python"
    site = Path(
        _run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], tmp_path
        ).stdout.strip()
    )
    # The dependencies come from the test environment (no download); the coach itself only from the wheel: the
    # editable install's own .pth file there is not read through this line.
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q", str(wheel)],
        tmp_path,
    )

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COACH_", "PYTHONPATH"))}
    env["COACH_DATA_DIR"] = str(tmp_path / "data")
    where = _run([str(python), "-c", "import coach; print(coach.__file__)"], elsewhere, env).stdout
    assert where.startswith(str(venv)), where
    coach = str(venv / "bin" / "coach")
    _run([coach, "demo"], elsewhere, env)
    report = json.loads(
        _run([coach, "analyze", "--as-of", "2026-11-20", "--format", "json"], elsewhere, env).stdout
    )
    risks = [r for a in report["accounts"] for r in a["risks"]]
    assert risks and all(r["title"] and r["playbook"].startswith("knowledge/") for r in risks)
    brief = _run([coach, "brief", "Quayside Elevators", "--date", "2026-11-20"], elsewhere, env).stdout
    assert "Quayside Elevators" in brief and "knowledge/prep-questions.md" in brief
    assert not (elsewhere / ".coach-data").exists() and not any(elsewhere.iterdir())
