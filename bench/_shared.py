"""What the benches share: where ../shared is, and a clear skip when it is not there."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("COACH_SHARED_DIR", ROOT.parent / "shared"))
QMSUM = SHARED / "data" / "qmsum-product"
DEV = SHARED / "eval" / "dev"
OUT = ROOT / "bench" / "out"


def require_shared() -> None:
    if not QMSUM.is_dir():
        print(
            f"skipped: {QMSUM} is absent (the benches read ../shared, which a user's clone does not have; "
            "set COACH_SHARED_DIR to point at it)"
        )
        sys.exit(0)


def meeting_files(limit: int | None = None) -> list[Path]:
    files = sorted(QMSUM.glob("*.json"))
    return files[:limit] if limit else files
