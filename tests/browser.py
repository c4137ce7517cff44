"""A headless Chromium page for tests: Debian's `chromium` driven by Playwright (never `playwright install`).

Skipped when chromium is missing, unless CONFORMANCE_REQUIRE_BROWSER is set (CI sets it).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest


def chromium_path() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CONFORMANCE_REQUIRE_BROWSER"):
        pytest.fail("Debian's chromium is required (CONFORMANCE_REQUIRE_BROWSER is set)")
    pytest.skip("chromium is not installed (apt-get install chromium)")


@pytest.fixture
def page() -> Iterator[Any]:
    """A fresh browser page; open a report with `page.goto(path.as_uri())`."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, headless=True,
                                     args=["--no-sandbox", "--disable-dev-shm-usage"])
        try:
            yield browser.new_page(viewport={"width": 1280, "height": 900})
        finally:
            browser.close()
