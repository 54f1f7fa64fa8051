"""The dashboard in a real headless Chromium against a live server on the manual clock: it renders
every service, follows a job to its end as the clock is advanced from the page, adds a fault rule and
shows it fire, and shows what clients sent as text, never as markup."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect
from ui_helpers import AUTH, JOB_ID, JOBS, create_job

from emulators.app import create_app
from emulators.server import ThreadedServer
from emulators.testing import ControlClient, LiveEmulator

pytestmark = pytest.mark.live
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
COLLECTIONS = {"relativity": "jobs", "globus": "tasks", "onedata": "transfers", "amove": "transfers"}


def open_dashboard(page: Page, server: LiveEmulator) -> None:
    page.goto(f"{server.url}/_emulator/ui")
    expect(page.locator("#connection")).to_have_text("live")


def job_row(page: Page, job_id: str = JOB_ID):  # type: ignore[no-untyped-def]
    return page.locator(f'section[data-service="relativity"] tr[data-id="{job_id}"]')


def test_the_page_renders_every_service_and_a_screenshot_is_kept(page: Page, emulator_server: LiveEmulator):
    create_job(emulator_server.control.http)

    open_dashboard(page, emulator_server)

    for service, collection in COLLECTIONS.items():
        table = page.locator(f'section[data-service="{service}"] table.items')
        expect(table).to_have_attribute("data-collection", collection)
    expect(job_row(page).locator("td.status")).to_have_text("Queued")
    expect(page.locator("#scenario-name")).to_have_text("default")
    expect(page.locator("#clock-mode")).to_have_text("manual")
    ARTIFACTS.mkdir(exist_ok=True)
    shot = page.screenshot(path=ARTIFACTS / "dashboard.png", full_page=True)
    assert shot.startswith(b"\x89PNG\r\n\x1a\n")
    assert (ARTIFACTS / "dashboard.png").read_bytes() == shot


def test_advancing_the_clock_from_the_page_completes_a_job(page: Page, emulator_server: LiveEmulator):
    create_job(emulator_server.control.http)
    open_dashboard(page, emulator_server)
    row = job_row(page)
    expect(row.locator("td.status")).to_have_text("Queued")
    expect(row.locator("progress")).to_have_attribute("value", "0")
    before = page.locator("#clock-now").inner_text()
    row.locator("summary").click()  # the job's document, unfolded: it stays so as the page updates

    page.fill("#advance-seconds", "600")
    page.click("#advance")

    expect(row.locator("td.status")).to_have_text("Completed")
    expect(row.locator("details")).to_have_attribute("open", "")
    expect(row.locator("details pre")).to_contain_text('"transferStatus": "Completed"')
    expect(row.locator("td.progress")).to_have_attribute("data-done", "4")
    expect(row.locator("td.progress")).to_contain_text("4 / 4 files (100%)")
    expect(page.locator("#clock-now")).not_to_have_text(before)
    assert emulator_server.control.now().isoformat() == page.locator("#clock-now").inner_text()


def test_a_fault_rule_added_from_the_page_fires_and_the_journal_shows_it(
    page: Page, emulator_server: LiveEmulator
):
    create_job(emulator_server.control.http)
    open_dashboard(page, emulator_server)
    form = page.locator("#fault-form")
    form.locator('input[name="id"]').fill("busy")
    form.locator('select[name="service"]').select_option("relativity")
    form.locator('input[name="method"]').fill("get")
    form.locator('input[name="path"]').fill(f"{JOBS}/*")
    form.locator('input[name="status"]').fill("503")
    form.locator('input[name="message"]').fill("try later")

    page.click("#add-fault")

    rule = page.locator('#fault-table tr[data-id="busy"]')
    expect(rule.locator(".fired-count")).to_have_text("not yet")
    assert [r["id"] for r in emulator_server.control.faults()] == ["busy"]
    answer = httpx.get(f"{emulator_server.url}{JOBS}/{JOB_ID}", headers=AUTH)
    assert answer.status_code == 503
    expect(rule.locator(".fired-count")).to_have_text("fired: 1")
    expect(rule).to_have_class("fired")
    entry = page.locator("#journal-table tbody tr").filter(has_text="busy")
    expect(entry.locator("td.status")).to_have_text("503")

    entry.click()

    [logged] = emulator_server.control.requests(status=503)
    expect(page.locator("#entry-title")).to_have_text(f"#{logged['id']} GET {JOBS}/{JOB_ID}")
    expect(page.locator("#entry-facts")).to_contain_text("busy")
    expect(page.locator("#entry-headers")).to_contain_text("Bearer ***")
    rule.locator("button.remove").click()
    expect(rule).to_have_count(0)
    assert emulator_server.control.faults() == []


def test_what_clients_sent_is_shown_as_text_never_run(page: Page, emulator_server: LiveEmulator):
    script = "<script>window.injected = 1</script>"
    image = '<img src="x" onerror="window.injected = 2">'
    httpx.post(
        f"{emulator_server.url}{JOBS}/<script>alert(1)</script>",
        content=f"{script}{image}",
        headers={**AUTH, "Content-Type": "application/json", "X-Note": image},
    )
    emulator_server.control.add_fault({"id": image, "path": "/nowhere", "action": {"status": 500}})
    open_dashboard(page, emulator_server)

    entry = page.locator("#journal-table tbody tr").filter(has_text="<script>alert(1)</script>")
    expect(entry.locator("td.path")).to_have_text(f"{JOBS}/<script>alert(1)</script>")
    entry.click()
    expect(page.locator("#entry-body")).to_have_text(f"{script}{image}")
    expect(page.locator("#entry-headers")).to_contain_text(image)
    expect(page.locator("#fault-table tr td.id")).to_have_text(image)

    assert page.evaluate("window.injected") is None
    assert page.locator("main img, main script").count() == 0


def test_setting_the_clock_from_the_page_and_a_refusal_shown(page: Page, emulator_server: LiveEmulator):
    open_dashboard(page, emulator_server)
    later = emulator_server.control.now() + timedelta(days=1)

    page.fill("#set-time", later.isoformat())
    page.click("#set")

    expect(page.locator("#clock-now")).to_have_text(later.isoformat())
    assert emulator_server.control.now() == later
    page.fill("#set-time", "2000-01-01T00:00:00Z")
    page.click("#set")
    expect(page.locator("#message")).to_contain_text("400 the clock cannot go backwards")
    assert emulator_server.control.now() == later


def test_pages_past_the_first_come_from_the_state_call_and_stay_current(
    page: Page, emulator_server: LiveEmulator
):
    ids = [str(uuid.UUID(int=n)) for n in range(1, 102)]
    with httpx.Client(base_url=emulator_server.url) as http:
        for job_id in ids:
            create_job(http, job_id)
    open_dashboard(page, emulator_server)
    section = page.locator('section[data-service="relativity"]')
    expect(section.locator(".pager")).to_contain_text("1-100 of 101")
    expect(section.locator("tr[data-id]")).to_have_count(100)

    section.locator("button.next").click()

    expect(section.locator(".pager")).to_contain_text("101-101 of 101")
    last = job_row(page, ids[-1])
    expect(last.locator("td.status")).to_have_text("Queued")
    emulator_server.control.advance(600)
    expect(last.locator("td.status")).to_have_text("Completed")
    section.locator("button.previous").click()
    expect(job_row(page, ids[0]).locator("td.status")).to_have_text("Completed")


def test_with_a_control_token_the_page_keeps_it_for_its_calls(page: Page):
    token = "dashboard-token"
    server = ThreadedServer(create_app(clock="manual", control_token=token)).start()
    control = ControlClient(server.url, token=token)
    try:
        before = control.now()
        page.goto(f"{server.url}/_emulator/ui?token={token}")
        expect(page.locator("#connection")).to_have_text("live")
        assert "token" not in page.url

        page.click("#advance")

        expect(page.locator("#clock-now")).to_have_text((before + timedelta(seconds=60)).isoformat())
        assert page.evaluate("sessionStorage.length") == 1
    finally:
        page.context.close()  # the page's stream ends before the server stops
        control.http.close()
        server.stop()
