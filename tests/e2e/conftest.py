"""Browser tests' fixtures: Debian's chromium driven by Playwright, the app on a free port, a page per person.

The tools behind them (the live server, the meeting host, logging in) are in tests/e2e/browser.py.
"""
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.e2e.browser import (
    AXE,
    CHROMIUM,
    CHROMIUM_ARGS,
    MEETING_HOST,
    SCREENSHOTS,
    ConsoleWatch,
    MeetingHost,
    new_context,
    require,
    serve,
)


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    require(CHROMIUM, "chromium")
    with MeetingHost(tmp_path_factory.mktemp("meeting-host")) as meeting, sync_playwright() as playwright:
        args = [*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {MEETING_HOST}:443 127.0.0.1:{meeting.port}"]
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=args, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def axe_script() -> Path:
    require(AXE, "axe-core")
    return AXE


@pytest.fixture
def server(tmp_path):
    with serve(tmp_path / "meetapp.db") as live:
        yield live


@pytest.fixture
def contexts(browser, server):
    """`contexts()` opens a new browser context, closed after the test; see `new_context`.

    The test fails if any page in them logged an error to the console (a CSP violation, a script
    error) or failed to load a script, style sheet or image. Pages and htmx requests answered 4xx on
    purpose (a refused join, a form's 400) are the app's answers, not errors of the page.
    """
    opened, console = [], ConsoleWatch()

    def open_context(*, bypass_csp: bool = False, java_script_enabled: bool = True):
        context = new_context(browser, server, bypass_csp=bypass_csp, java_script_enabled=java_script_enabled)
        opened.append(console.watch(context))
        return context

    yield open_context
    for context in opened:
        context.close()
    assert console.errors == [], "the browser console reported errors"


@pytest.fixture
def page(contexts):
    return contexts().new_page()


@pytest.fixture(scope="session")
def screenshot():
    """`screenshot(page, "journey")` keeps the page's last screen in tests/e2e/screenshots/journey.png."""
    SCREENSHOTS.mkdir(exist_ok=True)

    def take(page, name: str) -> None:
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    return take
