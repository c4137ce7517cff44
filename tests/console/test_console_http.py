"""The console over real HTTP (httpx, no browser): login, refusals, catalogue, runs, inspect, guided sessions."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from conformance.console.catalogue import catalogue
from conformance.report.bundle import verify_bundle
from tests.conftest import CONTROL_TOKEN, LiveServer, free_port, start_simulate
from tests.console.till import Till, play_guided

SPLIT = "ackroo.uc07-split-tender"


def log_in(server: LiveServer) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=server.origin, timeout=30, follow_redirects=True)
    answer = client.post("/_ui/login", data={"token": CONTROL_TOKEN})
    assert answer.status_code == 200 and "Scenarios" in answer.text  # followed the 303 to the catalogue
    csrf = re.search(r'name="csrf" value="([^"]+)"', answer.text)
    assert csrf is not None
    return client, csrf.group(1)


@pytest.fixture
def console(console_server: LiveServer) -> Iterator[tuple[httpx.Client, str]]:
    client, csrf = log_in(console_server)
    yield client, csrf
    client.close()


def outcome(html: str) -> str:
    found = re.search(r'id="outcome">(\w+)<', html)
    assert found is not None, html[:500]
    return found.group(1)


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/_ui/"), ("GET", "/_ui/scenario/" + SPLIT), ("POST", f"/_ui/scenario/{SPLIT}/run"),
    ("POST", f"/_ui/scenario/{SPLIT}/seed"), ("GET", "/_ui/inspect"), ("POST", "/_ui/faults"),
    ("GET", "/_ui/guided"), ("POST", "/_ui/guided"), ("GET", "/_ui/guided/x/events"),
    ("GET", f"/_ui/scenario/{SPLIT}/media/ackroo-uc14-uc16-magstripe.png"),
])
def test_every_page_and_action_is_refused_without_the_token(console_server: LiveServer, method: str,
                                                              path: str) -> None:
    answer = httpx.request(method, console_server.origin + path, data={"api": "ackroo", "profile": "double-earn"})
    assert answer.status_code == 401
    assert console_server.app.simulator.state.faults.profiles("ackroo") == frozenset()


def test_a_wrong_token_opens_no_session_and_the_cookie_is_httponly_and_strict(console_server: LiveServer) -> None:
    with httpx.Client(base_url=console_server.origin) as client:
        refused = client.post("/_ui/login", data={"token": "not-it"})
        assert refused.status_code == 401 and "not the control token" in refused.text
        assert client.get("/_ui/").status_code == 401
        answer = client.post("/_ui/login", data={"token": CONTROL_TOKEN}, follow_redirects=False)
    assert answer.status_code == 303
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/_ui" in cookie
    assert CONTROL_TOKEN not in answer.headers["set-cookie"]


def test_state_changing_forms_need_the_csrf_token_and_this_origin(console_server: LiveServer,
                                                                  console: tuple[httpx.Client, str]) -> None:
    client, csrf = console
    faults = console_server.app.simulator.state.faults
    form = {"api": "ackroo", "profile": "double-earn"}
    assert client.post("/_ui/faults", data=form).status_code == 403
    assert client.post("/_ui/faults", data={**form, "csrf": "forged"}).status_code == 403
    elsewhere = client.post("/_ui/faults", data={**form, "csrf": csrf}, headers={"origin": "http://evil.example"})
    assert elsewhere.status_code == 403
    assert faults.profiles("ackroo") == frozenset()
    assert client.post("/_ui/faults", data={**form, "csrf": csrf}).status_code == 200
    assert faults.profiles("ackroo") == {"double-earn"}


def test_the_catalogue_searches_by_words_requirement_and_api(console: tuple[httpx.Client, str]) -> None:
    client, _ = console
    ids = lambda html: set(re.findall(r'href="/_ui/scenario/([^"]+)"', html))  # noqa: E731
    assert SPLIT in ids(client.get("/_ui/", params={"q": "split"}).text)
    assert ids(client.get("/_ui/", params={"q": "ACK-UC07"}).text) == {SPLIT}
    crmcom = ids(client.get("/_ui/", params={"api": "crmcom"}).text)
    assert crmcom and all(i.startswith("crmcom.") for i in crmcom)
    assert ids(client.get("/_ui/", params={"q": "no such words at all"}).text) == set()


def test_a_scenario_page_shows_the_cashier_the_card_the_request_and_the_answer(
        console: tuple[httpx.Client, str]) -> None:
    client, _ = console
    page = client.get("/_ui/scenario/ackroo.uc14-magstripe-balance")
    assert page.status_code == 200
    assert "Cashier:" in page.text and "/device/card" in page.text
    image = re.search(r'src="(/_ui/scenario/[^"]+\.png)"', page.text)
    assert image is not None
    png = client.get(image.group(1))
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    split = client.get("/_ui/scenario/" + SPLIT).text
    assert "POST /transaction/loyalty/credit/multi" in split and "status 200" in split
    assert "3.65" in split and "612573981949778930" not in split  # the card number is masked on the page
    assert client.get("/_ui/scenario/nope.nothing").status_code == 404


def test_run_passes_and_a_fault_switched_on_makes_it_fail(console: tuple[httpx.Client, str]) -> None:
    client, csrf = console
    assert outcome(client.post(f"/_ui/scenario/{SPLIT}/run", data={"csrf": csrf}).text) == "PASS"
    client.post("/_ui/faults", data={"csrf": csrf, "api": "ackroo", "profile": "double-earn"})
    failed = client.post(f"/_ui/scenario/{SPLIT}/run", data={"csrf": csrf}).text
    assert outcome(failed) == "FAIL" and "expected" in failed and "7.30" in failed
    client.post("/_ui/faults", data={"csrf": csrf, "api": "ackroo", "profile": "double-earn", "clear": "1"})
    assert outcome(client.post(f"/_ui/scenario/{SPLIT}/run", data={"csrf": csrf}).text) == "PASS"


def test_reset_and_seed_then_inspect_balances_exchanges_and_faults(console_server: LiveServer,
                                                                   console: tuple[httpx.Client, str]) -> None:
    client, csrf = console
    seeded = client.post("/_ui/scenario/ackroo.uc09-loyalty-partial-debit/seed", data={"csrf": csrf})
    assert "starting state" in seeded.text
    scenario = catalogue(("ackroo",))["ackroo.uc09-loyalty-partial-debit"]
    till = Till(scenario, console_server.origin + "/ackroo")
    till.play(till.steps()[0])
    page = client.get("/_ui/inspect", params={"api": "ackroo"}).text
    assert "************8930" in page and "612573981949778930" not in page  # balances and log, masked
    assert till.steps()[0].operation in page
    assert "double-earn" in page and "Webhook deliveries" in page


def test_a_guided_session_judges_each_request_and_ends_with_a_signed_bundle(
        console_server: LiveServer, console: tuple[httpx.Client, str], tmp_path: Path) -> None:
    client, csrf = console
    ids = ["ackroo.uc12-gift-reversal", SPLIT]
    started = client.post("/_ui/guided", data={"csrf": csrf, "api": "ackroo", "scenario": ids})
    assert started.status_code == 200 and "Configure the till" in started.text and "t-1" in started.text
    session_url = str(started.url.path)
    session = console_server.app.console.sessions[session_url.rsplit("/", 1)[-1]]
    play_guided(session, console_server.origin + "/ackroo",
                wrong={SPLIT: {"tender_type_list": ["27", "0", "0", "0", "0"]}})  # all cash: it was split
    done = client.get(session_url).text
    assert 'id="verdict"' in done and "not-certified" in done
    assert done.count('data-outcome="pass"') == len([j for j in session.judged if j.scenario_id == ids[0]]) >= 2
    assert 'data-outcome="fail"' in done and "tender_type_list" in done
    bundle = tmp_path / "evidence.zip"
    bundle.write_bytes(client.get(session_url + "/download/evidence.zip").content)
    assert verify_bundle(bundle).intact
    with zipfile.ZipFile(bundle) as archive:
        report = archive.read("reports/report.json").decode()
    assert '"kind": "pos"' in report and '"verdict": "not-certified"' in report
    assert "612573981949778930" not in report


def test_server_sent_events_carry_each_judgement(console_server: LiveServer,
                                                 console: tuple[httpx.Client, str]) -> None:
    client, csrf = console
    started = client.post("/_ui/guided", data={"csrf": csrf, "api": "ackroo", "scenario": [SPLIT]})
    till = Till(catalogue(("ackroo",))[SPLIT], console_server.origin + "/ackroo")
    till.play(till.steps()[0])
    with client.stream("GET", str(started.url.path) + "/events") as stream:
        lines = [line for line in stream.iter_lines() if line.startswith(("event:", "data:"))]
    assert lines[0] == "event: judged" and '"outcome":"pass"' in lines[1]
    assert lines[-2] == "event: state" and '"finished":true' in lines[-1]


def test_simulate_ui_serves_the_console_on_loopback_beside_the_simulator() -> None:
    port = free_port()
    proc = start_simulate("--api", "ackroo", "--ui", port=port, token=CONTROL_TOKEN)
    try:
        login = httpx.get(f"http://127.0.0.1:{port}/_ui/")
        assert login.status_code == 401 and 'name="token"' in login.text
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", follow_redirects=True) as client:
            assert "Scenarios" in client.post("/_ui/login", data={"token": CONTROL_TOKEN}).text
        assert httpx.get(f"http://127.0.0.1:{port}/ackroo/device/card").status_code == 401  # the api, unchanged
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_without_ui_there_is_no_console(live_simulator: LiveServer) -> None:
    assert httpx.get(live_simulator.origin + "/_ui/").status_code == 404


def test_the_exchange_log_streams_new_requests_and_resumes_after_the_last_seen(
        console_server: LiveServer, console: tuple[httpx.Client, str]) -> None:
    client, csrf = console
    scenario = catalogue(("ackroo",))[SPLIT]
    till = Till(scenario, console_server.origin + "/ackroo")
    client.post(f"/_ui/scenario/{SPLIT}/seed", data={"csrf": csrf})
    till.play(till.steps()[0])
    till.play(till.steps()[0])

    def first_event(headers: dict[str, str]) -> list[str]:
        with client.stream("GET", "/_ui/inspect/events", params={"api": "ackroo"}, headers=headers) as stream:
            lines: list[str] = []
            for line in stream.iter_lines():
                lines.append(line)
                if line.startswith("data:"):
                    return lines
        return lines

    first = first_event({})
    assert "event: exchange" in first and '"operation_id":"loyaltyCreditMulti"' in first[-1]
    assert "612573981949778930" not in first[-1]  # redacted as /_control serves it
    seq = int(next(line for line in first if line.startswith("id:"))[3:])
    resumed = first_event({"last-event-id": str(seq)})
    assert f"id: {seq + 1}" in resumed


def test_a_step_the_till_cannot_play_is_skipped_and_the_session_moves_on(console: tuple[httpx.Client, str]) -> None:
    client, csrf = console
    started = client.post("/_ui/guided", data={"csrf": csrf, "api": "ackroo",
                                               "scenario": [SPLIT, "ackroo.uc01-cash-credit"]})
    assert "7.00 in cash" in started.text
    moved = client.post(str(started.url.path) + "/skip", data={"csrf": csrf}).text
    assert 'data-outcome="skip"' in moved and "skipped at the till" in moved
    assert "ackroo.uc01-cash-credit</code>, step" in moved  # the next scenario's first step
    ended = client.post(str(started.url.path) + "/finish", data={"csrf": csrf}).text
    assert 'id="verdict"' in ended and "skip 2" in ended and "error" in ended  # nothing judged proves nothing


def test_a_printed_receipt_is_read_into_the_page_and_judged(console_server: LiveServer,
                                                            console: tuple[httpx.Client, str]) -> None:
    client, csrf = console
    scenario_id = "crmcom.self-service-purchase"
    started = client.post("/_ui/guided", data={"csrf": csrf, "api": "crmcom", "scenario": [scenario_id]})
    assert 'name="receipt_qr"' in started.text and 'name="receipt_barcode"' in started.text
    session_url = str(started.url.path)
    receipt = catalogue(("crmcom",))[scenario_id].steps[1].pos
    assert receipt is not None
    codes = dict(receipt.action["receipt"])
    misread = client.post(session_url + "/done", data={"csrf": csrf, "receipt_qr": codes["qr"],
                                                       "receipt_barcode": "M1;R-3001;9999;O1"}).text
    assert 'data-outcome="fail"' in misread and "receipt barcode" in misread


def test_pages_fetch_nothing_from_elsewhere(console: tuple[httpx.Client, str]) -> None:
    client, _ = console
    for path in ("/_ui/", f"/_ui/scenario/{SPLIT}", "/_ui/inspect", "/_ui/guided", "/_ui/static/console.css",
                 "/_ui/static/console.js"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert not re.search(r"""(src|href|url)\s*[=(]\s*["']?(https?:)?//""", answer.text), path
        if answer.headers["content-type"].startswith("text/html"):
            assert "default-src 'self'" in answer.headers["content-security-policy"]
