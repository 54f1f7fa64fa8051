"""The headless Chromium the dashboard's browser tests drive, and the calls they make around it.

Chromium is the system's (`make setup` installs Debian's package as root); Playwright drives it
without downloading a browser of its own. Without it the browser tests are skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 10_000  # the longest any expectation waits for its condition
SAS = (
    "https://devstoreaccount1.blob.core.windows.net/small?se=2099-12-31T00%3A00%3A00Z&sp=rl"
    "&sv=2025-11-05&sr=c&sig=zRToB1/7Z4Lcx%2B6Rc%2BIXXD4q7RN2DECpWsVb6sT%2Br9A%3D"
)
JOBS = "/transfer-service/api/v2/transfer/jobs"
JOB_ID = "6f1c3c52-8a4f-4a0e-9d51-3a2b1c0d9e01"
AUTH = {"Authorization": "Bearer relativity-dev-token"}
DESTINATION = "\\\\files.t001.ctus000001.r1.kcura.com\\T001\\StructuredData\\Matter1"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium per test module; Playwright gives it a fresh temporary profile. Not one
    per session: Playwright's synchronous API keeps an event loop running in the test thread while
    it is open, which `anyio.run` and `asyncio.run` in the tests after it would refuse."""
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (`make setup` installs it as root where apt-get exists)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page in a context of its own (its own session storage), closed after the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    context.set_default_timeout(TIMEOUT_MS)
    opened = context.new_page()
    yield opened
    context.close()


def create_job(http: httpx.Client, job_id: str = JOB_ID) -> None:
    """A Relativity job copying the `small` container, as the README's example creates it."""
    body = {"transferJobID": job_id, "sourcePath": SAS, "destinationPath": DESTINATION}
    created = http.post(JOBS, json=body, headers=AUTH)
    assert created.status_code == 200, created.text
