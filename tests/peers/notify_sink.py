#!/usr/bin/env python3
"""An HTTPS server standing in for Telegram's Bot API, a WeCom group robot
and a webhook: every POST is appended to LOG as one JSON line
{"path", "body" (parsed JSON, or the text), "t"}, and answered as the real
service would (Telegram: {"ok":true}, WeCom: {"errcode":0}).

usage: notify_sink.py PORT CERT KEY LOG [MODE]
MODE: ok (default), hang (accept and never answer), 500 or 400 (that status).
"""
import json
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, CERT, KEY, LOG = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
MODE = sys.argv[5] if len(sys.argv) > 5 else "ok"
lock = threading.Lock()


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(min(n, 1 << 20)).decode("utf-8", "replace")
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw
        with lock, open(LOG, "a") as f:
            f.write(json.dumps({"path": self.path, "body": body, "t": time.time(),
                                "ctype": self.headers.get("Content-Type", "")}) + "\n")
        if MODE == "hang":
            time.sleep(120)
            return
        status = int(MODE) if MODE.isdigit() else 200
        if "/sendMessage" in self.path:
            reply = {"ok": True, "result": {"message_id": 1}} if status == 200 else \
                {"ok": False, "error_code": status, "description": "Bad Request: chat not found\x1b[31m"}
        elif "wecom" in self.path:
            reply = {"errcode": 0, "errmsg": "ok"}
        else:
            reply = {"ok": status == 200}
        # a raw control character, as a careless server might send: the client escapes it
        out = json.dumps(reply).replace("\\u001b", "\x1b").encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)


class S(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


srv = S(("127.0.0.1", PORT), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(CERT, KEY)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
