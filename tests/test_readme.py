"""The README's two commands are the ones that are run: CI calls the test command verbatim."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _commands() -> list[str]:
    quick = ROOT.joinpath("README.md").read_text().split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", quick)


def test_quick_start_has_exactly_two_commands_and_ci_runs_the_second():
    run, test = _commands()
    assert run.endswith("coach serve --demo")
    ci = ROOT.joinpath(".ci", "run").read_text()
    assert test in ci.splitlines()
