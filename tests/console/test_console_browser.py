"""The console in Debian's chromium (Playwright): log in, find and run a use case, a guided session judged
live while a scripted till sends its requests, a fault switched on from the page, refusals without the token.

Set CONFORMANCE_UPDATE_SCREENSHOTS=1 to rewrite docs/console*.png from these runs (README shows them).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from conformance.console.catalogue import catalogue
from tests.conftest import CONTROL_TOKEN, ROOT, LiveServer
from tests.console.till import Till

SPLIT = "ackroo.uc07-split-tender"
CASH = "ackroo.uc01-cash-credit"
WAIT_MS = 10_000  # generous: the console answers well within a second (see bench/ for speed)


def shoot(page: Any, name: str, tmp_path: Path) -> None:
    """A screenshot into tmp, and into docs/ when asked to refresh the README's pictures."""
    page.screenshot(path=str(tmp_path / name), full_page=False)
    if os.environ.get("CONFORMANCE_UPDATE_SCREENSHOTS"):
        page.screenshot(path=str(ROOT / "docs" / name), full_page=False)


def log_in_with_the_keyboard(page: Any, server: LiveServer) -> None:
    answer = page.goto(server.origin + "/_ui/")
    assert answer.status == 401
    page.wait_for_function("document.activeElement && document.activeElement.id === 'token'")  # autofocus
    page.keyboard.type(CONTROL_TOKEN)
    page.keyboard.press("Enter")
    page.wait_for_selector("h1:text('Scenarios')")


def test_find_split_by_searching_and_run_it_to_a_pass(page: Any, console_server: LiveServer, tmp_path: Path) -> None:
    log_in_with_the_keyboard(page, console_server)
    page.get_by_label("Search").fill("split")
    page.keyboard.press("Enter")
    page.get_by_role("link", name=SPLIT).click()
    page.wait_for_selector("text=Cashier:")
    page.get_by_role("button", name="Run against the simulator").click()
    outcome = page.locator("#outcome")
    outcome.wait_for(timeout=WAIT_MS)
    assert outcome.inner_text() == "PASS"
    assert page.locator(".step.pass").count() == 1 and page.locator(".step.fail").count() == 0
    shoot(page, "console-run.png", tmp_path)


def test_readable_on_a_tablet_without_sideways_scrolling(page: Any, console_server: LiveServer) -> None:
    page.set_viewport_size({"width": 768, "height": 1024})
    log_in_with_the_keyboard(page, console_server)
    for path in ("/_ui/", f"/_ui/scenario/{SPLIT}", "/_ui/inspect", "/_ui/guided"):
        page.goto(console_server.origin + path)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path


def test_guided_session_judges_the_tills_requests_live_and_a_fault_fails_the_next_step(
        page: Any, console_server: LiveServer, tmp_path: Path) -> None:
    log_in_with_the_keyboard(page, console_server)
    page.goto(console_server.origin + "/_ui/guided?api=ackroo")
    page.locator(f"input[value='{CASH}']").check()
    page.locator(f"input[value='{SPLIT}']").check()
    page.get_by_role("button", name="Start the session").click()
    page.wait_for_selector("text=Configure the till")
    assert f"{console_server.origin}/ackroo" in page.inner_text("body")
    assert "Ring up" in page.locator("#instruction").inner_text()
    scenarios = catalogue(("ackroo",))

    cash = Till(scenarios[CASH], console_server.origin + "/ackroo")
    cash.play(cash.steps()[0])
    page.wait_for_selector("#judged li[data-outcome='pass']", timeout=WAIT_MS)
    page.wait_for_function("document.getElementById('instruction').textContent.includes('7.00 in cash')",
                           timeout=WAIT_MS)

    guided = page.url
    page.get_by_role("link", name="Inspect").click()
    page.get_by_label("Status").fill("503")  # the provider refuses the next call: an outage
    page.get_by_role("button", name="Apply faults").click()
    page.wait_for_selector("text=Also in force")
    page.goto(guided)
    assert page.locator("#judged li").count() == 1  # what was judged so far stays on the page

    split = Till(scenarios[SPLIT], console_server.origin + "/ackroo")
    split.play(split.steps()[0])
    failed = page.locator("#judged li[data-outcome='fail']")
    failed.wait_for(timeout=WAIT_MS)
    assert "refused" in failed.inner_text() and "503" in failed.inner_text()
    verdict = page.locator("#verdict")  # the last step ends the session: the page shows the verdict
    verdict.wait_for(timeout=WAIT_MS)
    assert verdict.text_content() == "not-certified"
    assert page.get_by_role("link", name="evidence.zip").count() == 1
    shoot(page, "console-guided.png", tmp_path)


def test_the_inspect_page_shows_each_request_as_it_arrives(page: Any, console_server: LiveServer) -> None:
    log_in_with_the_keyboard(page, console_server)
    page.goto(console_server.origin + f"/_ui/scenario/{SPLIT}")
    page.get_by_role("button", name="Reset and seed").click()
    page.wait_for_selector("text=starting state")
    page.get_by_role("link", name="Inspect").click()
    page.wait_for_selector("#no-exchanges")
    till = Till(catalogue(("ackroo",))[SPLIT], console_server.origin + "/ackroo")
    till.play(till.steps()[0])
    arrived = page.locator("#exchanges li")
    arrived.first.wait_for(timeout=WAIT_MS)
    assert "loyaltyCreditMulti" in arrived.first.inner_text() and page.locator("#no-exchanges").count() == 0
    page.goto("about:blank")  # closes the stream before the server stops


def test_refused_without_the_token(page: Any, console_server: LiveServer) -> None:
    for path in ("/_ui/", f"/_ui/scenario/{SPLIT}", "/_ui/inspect", "/_ui/guided"):
        answer = page.goto(console_server.origin + path)
        assert answer.status == 401
        assert page.get_by_label("Control token").is_visible()
    page.get_by_label("Control token").fill("not-the-token")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_selector("text=That is not the control token.")
    assert page.goto(console_server.origin + "/_ui/inspect").status == 401
