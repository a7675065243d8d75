"""The README's digest screenshots: a manager's digest as its e-mail, rendered by Chromium.

    COACH_DATA_DIR=... python docs/digest_screenshot.py --manager mia@acme.com --week 2026-W47 [--height 1900]

The HTML part of the e-mail the coach would send, its cid: images resolved from the message's own parts (as a
mail client does), shot at a desktop mail pane's width and at a phone's; written to docs/digest.png and
docs/digest-phone.png, cut at ``--height`` pixels.
"""

from __future__ import annotations

import argparse
import base64
from pathlib import Path

from playwright.sync_api import sync_playwright

from coach.config import get_settings
from coach.digest import digest_builder
from coach.digest.deliver import email_message
from coach.workspace import Workspace

HERE = Path(__file__).resolve().parent
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--manager", required=True)
    ap.add_argument("--week", required=True)
    ap.add_argument("--height", type=int, default=1900)
    args = ap.parse_args()
    settings = get_settings()
    digest = digest_builder(Workspace(settings)).build(args.manager, args.week)
    message = email_message(digest, settings)
    html_part = message.get_body(preferencelist=("html",))
    assert html_part is not None
    html = html_part.get_content()
    for part in message.walk():
        if part.get_content_type() == "image/png":
            data = base64.b64encode(part.get_payload(decode=True)).decode()
            html = html.replace(f"cid:{part['Content-ID'].strip('<>')}", f"data:image/png;base64,{data}")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for name, width in (("digest", 720), ("digest-phone", 390)):
            page = browser.new_page(viewport={"width": width, "height": args.height})
            page.set_content(html)
            page.screenshot(
                path=HERE / f"{name}.png", clip={"x": 0, "y": 0, "width": width, "height": args.height}
            )
            print(f"wrote {HERE / f'{name}.png'}")
        browser.close()


if __name__ == "__main__":
    main()
