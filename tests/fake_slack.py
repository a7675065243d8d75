"""A loopback Slack: the Web API methods the bot calls (users.info, chat.postMessage, views.open,
conversations.replies) and response_urls, speaking Slack's protocol; it records every post. And Slack's request
signing, for sending the bot signed requests."""

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET = "test-signing-secret"

# Slack user -> (profile e-mail, whether Slack has verified it: users.info's user.is_email_confirmed)
PEOPLE = {
    "U_ANA": ("ana@vendor.example", True),
    "U_BEN": ("ben@vendor.example", True),
    "U_NOBODY": ("nobody@vendor.example", True),
    "U_EVE": ("bot@vendor.example", False),  # claims the admin's address in an unverified profile
}


class FakeSlack:
    """Slack's Web API (users.info, chat.postMessage, views.open, conversations.replies) and response_urls."""

    def __init__(self, people=None):
        self.posts = []
        self.people = dict(PEOPLE if people is None else people)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                try:
                    body = json.loads(raw)
                except ValueError:
                    from urllib.parse import parse_qs

                    body = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                fake.posts.append((self.path, body, time.monotonic()))
                method = self.path.rsplit("/", 1)[-1]
                reply = {"ok": True}
                if method == "users.info":
                    email, verified = fake.people.get(body.get("user"), (None, False))
                    reply = (
                        {
                            "ok": True,
                            "user": {
                                "id": body.get("user"),
                                "name": body.get("user", "").lower(),
                                "is_email_confirmed": verified,
                                "profile": {"email": email, "real_name": f"Slack {body.get('user')}"},
                            },
                        }
                        if email
                        else {"ok": False, "error": "user_not_found"}
                    )
                elif method == "conversations.replies":
                    reply = {
                        "ok": True,
                        "messages": [
                            {"text": "Mei complained the crew app crashes offline."},
                            {"text": "She asked for a fix before the storm season."},
                        ],
                    }
                data = json.dumps(reply).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(
            target=self.server.serve_forever, args=(0.05,), daemon=True
        ).start()  # shut down fast

    def wait(self, path_part, timeout=20.0, after=0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [p for p in self.posts[after:] if path_part in p[0]]
            if found:
                return found[0]
            time.sleep(0.05)
        raise AssertionError(f"nothing posted to {path_part!r}; got {[p[0] for p in self.posts]}")


def signed(body: str, secret=SECRET, timestamp=None):
    """Headers Slack sends with a request body: timestamp and v0 signature."""
    ts = str(int(timestamp if timestamp is not None else time.time()))
    signature = "v0=" + hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature,
        "Content-Type": "application/x-www-form-urlencoded",
    }
