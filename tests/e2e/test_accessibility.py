"""axe-core (the engine behind Lighthouse's accessibility audit, bundled by axe-playwright-python) on
every customer and admin view: no serious or critical violation (contrast, names, labels, roles), the
customer views also on a phone (414 px) and with the navigation menu open; and the keyboard alone
logs in and reaches the navigation, every focused control showing its focus ring."""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]
from playwright.sync_api import Page, ViewportSize, expect

from luna.web.components.navigation import ADMIN_VIEWS, CUSTOMER_VIEWS, View
from tests.e2e.conftest import WebServer, log_in_admin, log_in_customer

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SERIOUS = ("serious", "critical")
PHONE: ViewportSize = {"width": 414, "height": 896}
#: Tab presses allowed to reach a control (the login page and the header have fewer controls).
MAX_TABS = 25


def serious_violations(page: Page) -> list[str]:
    """Each serious or critical violation with the elements it was found on, once nothing is loading.

    Quasar's loading bar (a ``progressbar`` without a name) shows while a request is under way; the
    audit judges the view, so it waits until the bar has faded out.
    """
    page.wait_for_function(
        "() => [...document.querySelectorAll('.q-loading-bar')]"
        ".every(bar => getComputedStyle(bar).opacity === '0')"
    )
    response: dict[str, Any] = Axe().run(page).response
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[(n['target'], n['html'][:120]) for n in v['nodes'][:3]]}"
        for v in response["violations"]
        if v["impact"] in SERIOUS
    ]


def audit(page: Page, web: WebServer, views: tuple[View, ...]) -> dict[str, list[str]]:
    found = {}
    for view in views:
        page.goto(f"{web.base_url}{view.route}")
        expect(page.get_by_role("heading", name=view.title, level=1)).to_be_visible()
        page.wait_for_timeout(500)  # charts and tables settle
        found[view.route] = serious_violations(page)
    return {route: problems for route, problems in found.items() if problems}


def test_no_customer_view_has_a_serious_accessibility_violation(page: Page, web: WebServer) -> None:
    user_id = log_in_customer(page, web)
    with web.admin() as admin:
        assert admin.put(f"/admin/users/{user_id}/meters", json={"meter_ids": web.meter_ids[:1]}).is_success

    assert audit(page, web, CUSTOMER_VIEWS) == {}
    page.set_viewport_size(PHONE)  # the folded navigation, stacked cards and scrolling tables
    assert audit(page, web, CUSTOMER_VIEWS) == {}
    page.get_by_role("button", name="Menü öffnen").click()
    expect(page.get_by_role("navigation", name="Hauptnavigation (Menü)")).to_be_visible()
    page.wait_for_timeout(500)  # the drawer has slid in
    assert serious_violations(page) == []


def test_no_admin_view_has_a_serious_accessibility_violation(page: Page, web: WebServer) -> None:
    log_in_admin(page, web)

    assert audit(page, web, ADMIN_VIEWS) == {}


def focused(page: Page) -> dict[str, Any]:
    """The focused element: its accessible name (text or aria-label), and whether a focus ring shows."""
    found: dict[str, Any] = page.evaluate(
        """() => {
            const el = document.activeElement;
            const style = getComputedStyle(el);
            // A ring: a solid shadow spread around the control (0 0 0 Npx), or an outline, 2 px or more.
            const spread = style.boxShadow.match(/0px 0px 0px (\\d+(?:\\.\\d+)?)px/);
            const outline = style.outlineStyle !== 'none' ? parseFloat(style.outlineWidth) : 0;
            const width = Math.max(spread ? parseFloat(spread[1]) : 0, outline);
            return {
                name: (el.getAttribute('aria-label') || el.innerText || '').replace(/\\s+/g, ' ').trim(),
                ring: el.matches(':focus-visible') && width >= 2,
            };
        }"""
    )
    return found


def tab_to(page: Page, name: str, *, backwards: bool = False) -> None:
    """Press Tab (Shift+Tab) until the control called ``name`` has the focus, and check its focus ring."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        now = focused(page)
        if now["name"].endswith(name):  # a Material icon's ligature comes first ("login Anmelden")
            assert now["ring"], f"{name!r} has the focus but shows no focus ring"
            return
    raise AssertionError(f"{MAX_TABS} Tab presses did not reach {name!r}")


def test_the_keyboard_alone_logs_in_and_reaches_the_navigation_with_a_visible_focus(
    page: Page, web: WebServer
) -> None:
    page.goto(f"{web.base_url}/login")
    expect(page.get_by_role("heading", name="Anmelden")).to_be_visible()

    tab_to(page, "Neue Benutzer-ID")
    page.keyboard.press("Enter")
    expect(page.get_by_label("Benutzer-ID (UUID)")).not_to_have_value("")
    tab_to(page, "Anmelden", backwards=True)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Übersicht", level=1)).to_be_visible()

    tab_to(page, "Zum Inhalt springen")
    for view in CUSTOMER_VIEWS[1:]:  # every link of the navigation, in order, each with its ring
        tab_to(page, view.label)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=CUSTOMER_VIEWS[-1].title, level=1)).to_be_visible()
