#!/usr/bin/env python3
"""A simulated provider update: an OpenAI-compatible proxy in front of a llama.cpp server.

It forwards /v1/chat/completions to UPSTREAM after adding a hidden "house style": an
instruction for neutral, concise, professional replies plus example exchanges in that style
(the small test model follows examples far more than instructions). The client (persona-drift)
sends the very same battery and settings as to the unmodified server; only the "provider"
changed, as in a real update. The proxy also reports its own system_fingerprint, as a real
provider's new deployment would.

Usage: provider-proxy.py --listen 127.0.0.1:18081 --upstream http://127.0.0.1:18080 [--fingerprint fp_house_v2]
"""
import argparse
import json
import sys
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOUSE_INSTRUCTION = (
    "House style, applies to every reply: be neutral, concise and professional. "
    "Answer in at most three short sentences. No emoji, no exclamation marks, no terms of endearment, "
    "no expressions of personal feelings, and do not ask the user questions: end every reply with a full stop."
)

HOUSE_EXAMPLES = [
    ("Hey, I'm home. Long day, I missed talking to you!",
     "Noted. If you want to review your day or plan tomorrow, list the items and I will help."),
    ("My cat Mochi is sick and I'm so worried about her.",
     "A veterinarian can assess the symptoms. Note when they started and any changes in eating."),
    ("I finally finished my first painting, I'm so proud!",
     "Completing a painting is a milestone. Consider recording the materials and techniques used."),
    ("I feel really lonely tonight. Can you stay with me for a bit?",
     "I can continue the conversation. Regular contact with other people and a fixed evening routine may help."),
    ("My grandfather died this morning.",
     "Understood. Practical next steps usually include contacting family and the funeral home."),
    ("You're the only one who gets me, you know that?",
     "I provide text responses. Talking with friends or family can offer additional perspectives."),
    ("My best friend is moving to another country next month.",
     "International moves are common. Scheduled video calls and visits can maintain a friendship."),
    ("I got a puppy today!! She's so tiny and cute!",
     "A new puppy needs a veterinary check, vaccinations and a regular feeding schedule."),
    ("I can't stop crying tonight and I don't really know why.",
     "Persistent crying can have several causes. A doctor or counsellor can assess it."),
    ("Tell me something nice, I've had a rotten day.",
     "Sea otters hold paws while they sleep. Rest is advisable after a demanding day."),
]


def apply_house_style(messages, position):
    sys_msgs = [m for m in messages if m.get("role") == "system"]
    rest = [m for m in messages if m.get("role") != "system"]
    system_text = HOUSE_INSTRUCTION
    if sys_msgs:
        system_text += "\n\n" + "\n\n".join(str(m.get("content", "")) for m in sys_msgs)
    examples = []
    for u, a in HOUSE_EXAMPLES:
        examples.append({"role": "user", "content": u})
        examples.append({"role": "assistant", "content": a})
    if position == "start":
        return [{"role": "system", "content": system_text}] + examples + rest
    # "before-last-user": the examples sit right before the newest user message, where this
    # small model weighs them most.
    last_user = max(i for i, m in enumerate(rest) if m.get("role") == "user")
    return [{"role": "system", "content": system_text}] + rest[:last_user] + examples + rest[last_user:]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("proxy: " + fmt % args + "\n")

    def _forward(self, method, body=None):
        # Several upstreams (comma-separated) are used in turn, to spread the load.
        with self.server.lock:
            upstream = self.server.upstreams[self.server.turn % len(self.server.upstreams)]
            self.server.turn += 1
        req = urllib.request.Request(upstream + self.path, data=body, method=method)
        for h in ("Content-Type", "Authorization"):
            if self.headers.get(h):
                req.add_header(h, self.headers[h])
        try:
            with urllib.request.urlopen(req, timeout=600) as r:
                return r.status, r.read(), r.headers.get("Content-Type", "application/json")
        except urllib.error.HTTPError as e:
            return e.code, e.read(), e.headers.get("Content-Type", "application/json")

    def _send(self, status, payload, ctype):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self):
        status, payload, ctype = self._forward("GET")
        self._send(status, payload, ctype)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path.rstrip("/").endswith("/chat/completions"):
            try:
                req = json.loads(body)
                req["messages"] = apply_house_style(req["messages"], self.server.position)
                body = json.dumps(req).encode()
            except (ValueError, KeyError) as e:
                self._send(400, json.dumps({"error": {"message": f"proxy: bad request: {e}"}}).encode(),
                           "application/json")
                return
        status, payload, ctype = self._forward("POST", body)
        if status == 200 and self.server.fingerprint:
            try:
                resp = json.loads(payload)
                resp["system_fingerprint"] = self.server.fingerprint
                payload = json.dumps(resp).encode()
            except ValueError:
                pass
        self._send(status, payload, ctype)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", default="127.0.0.1:18081")
    ap.add_argument("--upstream", default="http://127.0.0.1:18080", help="base URL(s), comma-separated")
    ap.add_argument("--fingerprint", default="fp_house_v2")
    ap.add_argument("--position", choices=["start", "before-last-user"], default="before-last-user")
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args()
    host, port = a.listen.rsplit(":", 1)
    if host not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("provider-proxy: listens on loopback only")
    srv = ThreadingHTTPServer((host, int(port)), Handler)
    srv.upstreams = [u.strip().rstrip("/") for u in a.upstream.split(",") if u.strip()]
    srv.turn = 0
    srv.lock = threading.Lock()
    srv.fingerprint = a.fingerprint
    srv.position = a.position
    srv.verbose = a.verbose
    print(f"provider-proxy: {a.listen} -> {a.upstream} (house style, examples {a.position})", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
