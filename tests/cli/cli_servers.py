"""Servers the ``dockerflow`` command is tested against, each run as its own process.

    python cli_servers.py broken PORT   # http.server breaking the spec's rules
    python cli_servers.py slow PORT     # conforming, but /__heartbeat__ takes 0.5 s and
                                        # /__lbheartbeat__ waits on the same thing
    python cli_servers.py failing PORT  # conforming, with a failing check (500)
    python cli_servers.py hang PORT     # accepts connections and never answers

Standard library only; each prints ``ready`` on stdout once it listens.
"""

from __future__ import annotations

import json
import socket
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FAILING_HEARTBEAT = {
    "status": "error",
    "checks": {"check_database_connected": "error", "check_disk": "ok"},
    "details": {
        "check_database_connected": {
            "status": "error",
            "level": 40,
            "messages": {"dockerflow.health.E001": "Could not connect to database"},
        }
    },
}


class Handler(BaseHTTPRequestHandler):
    mode = "broken"

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self) -> None:
        if self.mode == "broken":
            self.send(405, b"", "text/plain")
        else:
            self.do_GET()

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if self.mode == "broken":
            self.broken(path)
        else:
            self.conforming(path)

    def broken(self, path: str) -> None:
        if path == "/__version__":  # JSON, but not the spec's object
            self.send(200, json.dumps({"version": 3}).encode(), "text/plain")
        elif path == "/__heartbeat__":  # an HTML error page, with status 200
            self.send(200, b"<html><body>Internal error</body></html>", "text/html")
        elif path == "/__lbheartbeat__":  # a redirect
            self.send_response(302)
            self.send_header("Location", "/login")
            self.send_header("Content-Length", "0")
            self.send_header("X-Request-ID", "not-yours")
            self.end_headers()
        else:
            self.send(404, b"not found", "text/plain")

    def conforming(self, path: str) -> None:
        rid = self.headers.get("X-Request-ID")
        if path == "/__version__":
            self.send(404, b'{"status": "error"}', "application/json")
        elif path == "/__heartbeat__":
            if self.mode == "slow":
                time.sleep(0.5)
                self.send(200, b'{"status": "ok", "checks": {}, "details": {}}', "application/json")
            else:
                self.send(500, json.dumps(FAILING_HEARTBEAT).encode(), "application/json")
        elif path == "/__lbheartbeat__":
            if self.mode == "slow":
                time.sleep(0.5)  # waits on what the heartbeat checks: against the spec
            self.send_response(200)
            self.send_header("Content-Length", "0")
            if rid:
                self.send_header("X-Request-ID", rid)
            self.end_headers()
        else:
            self.send(404, b"not found", "text/plain")


def hang(port: int) -> None:
    with socket.create_server(("127.0.0.1", port), backlog=64) as server:
        print("ready", flush=True)
        held = []
        while True:
            conn, _ = server.accept()
            held.append(conn)  # never read, never answered, never closed


def main() -> None:
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "hang":
        hang(port)
        return
    Handler.mode = mode
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
