"""Helpers for the browser tests: axe-core and reflow checks, language switch, logging in and out."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD

_AXE = Axe()


@pytest.fixture(scope="session")
def base_url(pytestconfig) -> str | None:
    """Same as pytest-playwright's fallback `base_url`, as a plain function.

    pytest-playwright 0.10 defines its fallback as a session-scoped fixture on a class instance, which
    pytest 9 deprecates with a PytestRemovedIn10Warning; the project's `filterwarnings = error` turns that
    warning into an error in every test that uses `page`. Overriding the fixture here avoids it.
    """
    return pytestconfig.getoption("--base-url", None) or pytestconfig.getini("base_url") or None


def axe_check(page: Page) -> None:
    """Run axe-core on the page as it is now; fail with axe's report if it finds any violation."""
    results = _AXE.run(page)
    if results.violations_count:
        report = results.generate_report()
        print(report)
        pytest.fail(f"axe-core found {results.violations_count} violation(s) on {page.url}:\n{report}")


_OVERFLOW_SCRIPT = """() => {
  const width = document.documentElement.clientWidth;
  const classes = (el) => (typeof el.className === "string" ? el.className.trim().split(/ +/) : [])
    .filter(Boolean).map((c) => "." + c).join("");
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + classes(el);
  const wide = [];
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.width && (box.right > width + 1 || box.left < -1)) {
      wide.push(`${name(el)} [${Math.round(box.left)}..${Math.round(box.right)}]`);
    }
  }
  return {scroll: document.documentElement.scrollWidth, width, wide: wide.slice(0, 10)};
}"""


def assert_fits_viewport(page: Page) -> None:
    """Nothing makes the page scroll sideways (WCAG 1.4.10 Reflow); axe-core does not check this."""
    result = page.evaluate(_OVERFLOW_SCRIPT)
    assert result["scroll"] <= result["width"], (
        f"{page.url} is {result['scroll']}px wide in a {result['width']}px viewport; too wide: {result['wide']}"
    )


def expect_language(page: Page, lang: str) -> None:
    """The document's language and writing direction are set for `lang`."""
    html = page.locator("html")
    expect(html).to_have_attribute("lang", lang)
    expect(html).to_have_attribute("dir", "rtl" if lang in ("ar", "fa") else "ltr")


def audit(page: Page) -> None:
    """axe-core and the reflow check on the page as it is now (after an interaction)."""
    axe_check(page)
    assert_fits_viewport(page)


def visit(page: Page, url: str, lang: str = "de") -> None:
    """Open a page, check it answered 200 in the expected language and direction, and audit it."""
    response = page.goto(url)
    assert response is not None and response.status == 200, f"{url} answered {response and response.status}"
    expect_language(page, lang)
    audit(page)


SHOTS = Path("/tmp/shots")


def shot(page: Page, name: str) -> None:
    """A full-page screenshot for a human to look at, only when LOTSE_SCREENSHOTS is set (not in CI); named
    after the test module, e.g. /tmp/shots/dialogs-detail-fa.png."""
    if os.environ.get("LOTSE_SCREENSHOTS"):
        module = os.environ["PYTEST_CURRENT_TEST"].split("::")[0].rsplit("/", 1)[-1].removesuffix(".py")
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.evaluate("window.scrollTo(0, 0)")  # the sticky header at the top, not where the page was scrolled
        page.screenshot(path=str(SHOTS / f"{module.removeprefix('test_')}-{name}.png"), full_page=True)


def account_menu(page: Page):
    """The header's account menu: the <details class="menu"> that holds the logout form."""
    return page.locator("header details.menu").filter(has=page.locator("form[action='/logout']"))


def language_menu(page: Page):
    """The header's language menu: the <details class="menu"> with the locale buttons."""
    return page.locator("header details.menu").filter(has=page.locator("button[name=locale]"))


def switch_language(page: Page, code: str, audit_open_menu: bool = False) -> None:
    """Open the globe menu (optionally running axe on the page with it open) and pick a language."""
    menu = language_menu(page)
    menu.locator("summary").click()
    expect(menu).to_have_attribute("open", "")
    if audit_open_menu:
        axe_check(page)
    with page.expect_navigation():
        menu.locator(f"button[name=locale][value={code}]").click()
    expect_language(page, code)


def browser_login(page: Page, base_url: str, email: str, password: str = PASSWORD) -> None:
    """Log in through /login; the browser lands on the dashboard."""
    page.goto(f"{base_url}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    with page.expect_navigation():
        page.locator("form[action='/login'] button[type=submit]").click()
    expect(page).to_have_url(f"{base_url}/")
    expect(account_menu(page)).to_have_count(1)


def browser_logout(page: Page, base_url: str, audit_open_menu: bool = False) -> None:
    """Log out through the account menu's button (optionally running axe on the page with the menu open);
    the browser lands on the start page, logged out."""
    menu = account_menu(page)
    menu.locator("summary").click()
    expect(menu).to_have_attribute("open", "")
    if audit_open_menu:
        axe_check(page)
    with page.expect_navigation():
        menu.locator("form[action='/logout'] button[type=submit]").click()
    expect(page).to_have_url(f"{base_url}/")
    expect(account_menu(page)).to_have_count(0)
    expect(page.locator("header a[href='/login']")).to_be_visible()
