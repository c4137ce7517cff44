"""`conformance certify pos` as a user runs it: a real subprocess driver, an HTTP-URL driver, a driver that
does nothing, and the usage errors (one line, pinned exit codes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from conformance.pos.stdio import LiveSend
from conformance.pos.till import Till
from tests.conftest import run_cli

DRIVER = f"{sys.executable} -m conformance pos-driver"  # `conformance pos-driver`, whatever the PATH


def _report(folder: Path) -> dict[str, Any]:
    report: dict[str, Any] = json.loads((folder / "report.json").read_text())
    return report


def test_the_reference_pos_as_a_subprocess_driver_is_certified(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config")}  # the signing key is made there on first use
    done = run_cli("certify", "pos", "--api", "ackroo", "--driver", DRIVER,
                   "--scenario", "ackroo.uc14-magstripe-balance", "--report-dir", str(tmp_path / "r"),
                   "--bundle", str(tmp_path / "evidence.zip"), env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    verified = run_cli("verify", str(tmp_path / "evidence.zip"), env=env)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    report = _report(tmp_path / "r")
    assert (report["kind"], report["verdict"], report["summary"]["pass"]) == ("pos", "certified", 1)
    assert "pos-driver" in report["target"]
    assert (tmp_path / "r" / "junit.xml").exists() and (tmp_path / "r" / "report.html").exists()


def test_a_driver_that_does_nothing_is_not_certified(tmp_path: Path) -> None:
    done = run_cli("certify", "pos", "--api", "antavo", "--driver", "true", "--report-dir", str(tmp_path / "r"))
    assert done.returncode == 1, done.stdout + done.stderr
    report = _report(tmp_path / "r")
    assert report["verdict"] == "not-certified" and report["summary"]["pass"] == 0
    checks = {f["check"] for r in report["results"] for f in r["findings"]}
    assert "pos.sent" in checks


class _TillHandler(BaseHTTPRequestHandler):
    till: Till

    def do_POST(self) -> None:
        action = json.loads(self.rfile.read(int(self.headers["content-length"])))
        body = json.dumps(self.till.perform(action)).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def http_driver() -> Iterator[str]:
    """The reference POS behind an HTTP endpoint on 127.0.0.1, the way a vendor's test harness would be."""
    handler = type("Handler", (_TillHandler,), {"till": Till(LiveSend)})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/driver"
    server.shutdown()
    server.server_close()


def test_the_reference_pos_behind_an_http_url_is_certified(tmp_path: Path, http_driver: str) -> None:
    done = run_cli("certify", "pos", "--api", "crmcom", "--driver", http_driver, "--scenario",
                   "crmcom.back-end-purchase-spend", "--scenario", "crmcom.void-purchase",
                   "--report-dir", str(tmp_path / "r"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert _report(tmp_path / "r")["summary"]["pass"] == 2


@pytest.mark.parametrize(("args", "message"), [
    (("--driver", "true", "--interactive"), "give exactly one of --driver"),
    ((), "give exactly one of --driver"),
    (("--pact", "x.json"), "x.json: cannot read"),
    (("--driver", "true", "--plan", "use-case"), "did you mean 'use-cases'"),
    (("--driver", "true", "--scenario", "ackroo.neg-bad-token"), "has no POS steps"),
    (("--driver", "true", "--scenario", "ackroo.nope"), "unknown scenario id"),
])
def test_usage_errors_are_one_line_and_exit_2(args: tuple[str, ...], message: str) -> None:
    done = run_cli("certify", "pos", "--api", "ackroo", *args)
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr


def test_an_unreachable_driver_url_exits_3(tmp_path: Path) -> None:
    done = run_cli("certify", "pos", "--api", "ackroo", "--driver", "http://127.0.0.1:9/none", "--scenario",
                   "ackroo.uc01-cash-credit", "--report-dir", str(tmp_path / "r"))
    assert done.returncode == 3, done.stdout + done.stderr
    assert "did not answer" in done.stderr and "Traceback" not in done.stderr


def test_the_light_driver_form_answers_like_pos_driver(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "conformance.pos"], input='{"action": "void"}', text=True,
                          capture_output=True, env={**os.environ, "CONFORMANCE_POS_STATE": str(tmp_path / "s.json")})
    assert done.returncode == 2 and "'reference' is a required property" in done.stderr


def test_pos_driver_refuses_an_action_outside_the_protocol(tmp_path: Path) -> None:
    env = {"CONFORMANCE_POS_STATE": str(tmp_path / "state.json")}
    done = run_cli("pos-driver", stdin='{"action": "sale", "lines": [{"sku": "1", "price": 5, "quantity": "1"}]}',
                   env=env)
    assert done.returncode == 2 and "lines/0/price" in done.stderr
    done = run_cli("pos-driver", stdin='{"action": "balance", "customer": {"medium": {"type": "qr", "data": "1"}}}',
                   env=env)
    assert done.returncode == 0 and json.loads(done.stdout)["ok"] is False  # not configured: the till says so
