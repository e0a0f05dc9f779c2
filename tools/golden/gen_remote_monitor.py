#!/usr/bin/env python3
"""Golden HTTP requests of keras.callbacks.RemoteMonitor (Keras 3.15, requests 2.x):
a local server on 127.0.0.1 records the method, path, Content-Type, extra headers and
body of the POST each configuration sends at the end of an epoch.
Writes tools/golden/fixtures/remote_monitor.json. Run from the repository root:
    ~/peers/bin/python tools/golden/gen_remote_monitor.py
"""

import http.server
import json
import os
import threading

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import keras  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "remote_monitor.json")
SEEN = []


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", 0))
        SEEN.append({"method": "POST", "path": self.path,
                     "content_type": self.headers.get("Content-Type"),
                     "x_token": self.headers.get("X-Token"),
                     "body": self.rfile.read(n).decode()})
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


LOGS = {"loss": 0.25, "accuracy": 0.5, "val_loss": 0.1, "val_accuracy": 0.3333333432674408}
CASES = [
    ("form_default", {}),
    ("form_field_headers", {"path": "/api/epochs?run=a b", "field": "metrics & more",
                            "headers": {"X-Token": "secret"}}),
    ("json", {"send_as_json": True, "path": "/json"}),
]


def main():
    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    root = "http://127.0.0.1:%d" % server.server_address[1]
    cases = []
    for cid, kw in CASES:
        SEEN.clear()
        cb = keras.callbacks.RemoteMonitor(root=root, **kw)
        cb.on_epoch_end(3, dict(LOGS))
        assert len(SEEN) == 1, SEEN
        cases.append({"id": cid, "kwargs": kw, "epoch": 3, "logs": LOGS, "request": SEEN[0]})
    server.shutdown()
    with open(OUT, "w") as f:
        json.dump({"keras_version": keras.__version__, "cases": cases}, f, indent=1, sort_keys=True)
        f.write("\n")
    print("wrote %s: %d cases" % (OUT, len(cases)))


if __name__ == "__main__":
    main()
