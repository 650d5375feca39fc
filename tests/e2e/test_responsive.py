"""Every view on a phone (414 px) and on a wide screen (1440 px): the navigation folds into a menu on
the phone, every link and "Abmelden" stay reachable, and no view is wider than the screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from luna.web.components.navigation import ADMIN_VIEWS, CUSTOMER_VIEWS
from tests.e2e.conftest import WebServer, log_in_admin, log_in_customer, shoot

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PHONE = {"width": 414, "height": 896}
WIDE = {"width": 1440, "height": 900}


def overflow(page: Page) -> int:
    """How many pixels the page is wider than the screen (0 when nothing sticks out)."""
    width: int = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    return width


def test_on_a_phone_the_customer_navigation_is_a_menu_and_no_view_is_too_wide(
    page: Page, web: WebServer
) -> None:
    user_id = log_in_customer(page, web)
    with web.admin() as admin:  # the meter views with a meter, as a customer sees them
        assert admin.put(f"/admin/users/{user_id}/meters", json={"meter_ids": web.meter_ids[:1]}).is_success
    page.set_viewport_size(PHONE)
    menu = page.get_by_role("button", name="Menü öffnen")
    for view in CUSTOMER_VIEWS:
        page.goto(f"{web.base_url}{view.route}")
        expect(page.get_by_role("heading", name=view.title, level=1)).to_be_visible()
        expect(page.get_by_role("navigation", name="Hauptnavigation", exact=True)).to_be_hidden()
        page.wait_for_timeout(300)  # charts and tables settle
        shoot(page, f"customer{view.route.replace('/', '-') or '-'}-414".replace("--", "-"))
        assert overflow(page) == 0, f"{view.route} is wider than 414 px"

    menu.click()
    drawer = page.get_by_role("navigation", name="Hauptnavigation (Menü)")
    expect(drawer.get_by_role("link", name="Smart-Meter")).to_be_visible()
    expect(page.get_by_role("button", name="Abmelden")).to_be_visible()
    shoot(page, "customer-menu-414")
    drawer.get_by_role("link", name="Smart-Meter").click()
    expect(page.get_by_role("heading", name="Smart-Meter", level=1)).to_be_visible()


def test_on_a_wide_screen_the_navigation_is_inline_and_no_menu_is_shown(page: Page, web: WebServer) -> None:
    log_in_customer(page, web)
    page.set_viewport_size(WIDE)
    for view in CUSTOMER_VIEWS:
        page.goto(f"{web.base_url}{view.route}")
        expect(page.get_by_role("navigation", name="Hauptnavigation", exact=True)).to_be_visible()
        expect(page.get_by_role("button", name="Menü öffnen")).to_be_hidden()
        shoot(page, f"customer{view.route.replace('/', '-') or '-'}-1440".replace("--", "-"))


def test_on_a_phone_every_admin_view_fits_and_the_menu_reaches_it(page: Page, web: WebServer) -> None:
    log_in_admin(page, web)
    page.set_viewport_size(PHONE)
    for view in ADMIN_VIEWS:
        page.goto(f"{web.base_url}{view.route}")
        expect(page.get_by_role("heading", name=view.title, level=1)).to_be_visible()
        page.wait_for_timeout(300)
        shoot(page, f"admin{view.route.replace('/admin', '').replace('/', '-') or '-home'}-414")
        assert overflow(page) == 0, f"{view.route} is wider than 414 px"
    page.get_by_role("button", name="Menü öffnen").click()
    expect(
        page.get_by_role("navigation", name="Hauptnavigation (Menü)").get_by_role("link", name="Jobs")
    ).to_be_visible()
