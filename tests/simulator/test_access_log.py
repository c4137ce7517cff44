"""`simulate --access-log`: one redacted line per request with its validation result; `GET /_control/health`
answers without the control token (issue 14)."""

from __future__ import annotations

from pathlib import Path

import httpx

from conformance.simulator.server import build_app
from conformance.simulator.state import SimulatorConfig
from tests.conftest import LiveServer

CARD = "612573981949778930"
FIXTURE = {"api": "ackroo", "credentials": [{"token": "t-1", "device_id": "0d373af2942291bf"}],
           "cards": [{"cardnumber": CARD, "gift": "0.00", "earned": "0.00", "promo": "0.00", "active": True}]}


def test_access_log_and_health(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    app = build_app(SimulatorConfig(control_token="ct", access_log=str(log)), ["ackroo"])
    server = LiveServer(app)
    try:
        with httpx.Client(base_url=server.origin) as client:
            health = client.get("/_control/health")
            assert health.status_code == 200 and health.json() == {"status": "ok", "apis": ["ackroo"]}
            assert client.post("/_control/reset", json={"api": "ackroo"}).status_code == 401  # the rest is guarded
            client.post("/_control/fixtures", json=FIXTURE, headers={"Authorization": "Bearer ct"}).raise_for_status()
            auth = {"Authorization": "Bearer t-1"}
            ok = client.get("/ackroo/device/card", params={"cardnumber": CARD, "device_id": "0d373af2942291bf"},
                            headers=auth)
            assert ok.status_code == 200
            bad = client.post("/ackroo/transaction/loyalty/credit", json={"cardnumber": CARD, "amount": "abc"},
                              headers=auth)
            assert bad.status_code == 400
            assert client.get("/ackroo/device/card", params={"cardnumber": CARD, "device_id": "0d373af2942291bf"},
                              headers={"Authorization": "Bearer wrong"}).status_code == 401
    finally:
        server.stop()
        app.close()
    lines = log.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3  # provider requests only: /_control is not logged
    assert "GET /ackroo/device/card?cardnumber=**************8930&" in lines[0]
    assert "-> 200 (" in lines[0] and lines[0].endswith(" cardBalanceQuery: valid request")
    assert "-> 400" in lines[1] and "loyaltyCredit: invalid: body: 'device_id' is a required property" in lines[1]
    assert lines[2].endswith("credentials refused")
    text = log.read_text()
    assert CARD not in text and "t-1" not in text and "Bearer" not in text
