"""Every view on a phone (414 px, and the customer views on a small one at 360 px) and on a wide screen
(1440 px): the navigation folds into a menu on the phone, every link and "Abmelden" stay reachable, and
no view is wider than the screen."""

from __future__ import annotations

import io
import statistics

import pytest
from PIL import Image
from playwright.sync_api import Page, ViewportSize, expect

from luna.web.components.navigation import ADMIN_VIEWS, CUSTOMER_VIEWS
from tests.e2e.conftest import WebServer, log_in_admin, log_in_customer, shoot

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PHONE: ViewportSize = {"width": 414, "height": 896}
SMALL_PHONE: ViewportSize = {"width": 360, "height": 740}
WIDE: ViewportSize = {"width": 1440, "height": 900}


def overflow(page: Page) -> int:
    """How many pixels the page is wider than the screen (0 when nothing sticks out)."""
    width: int = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    return width


def shot_name(area: str, route: str, suffix: str) -> str:
    """``customer-energy-414``, ``admin-home-wide-1440``: one file per area, view and size."""
    view = route.removeprefix("/admin") if area == "admin" else route
    return (
        f"{area}-{view.strip('/').replace('/', '-') or ('home' if area == 'admin' else 'overview')}-{suffix}"
    )


def each_customer_view_fits(page: Page, web: WebServer, width: int) -> None:
    """Every customer view at the current (phone) size: the inline navigation hidden, nothing too wide."""
    for view in CUSTOMER_VIEWS:
        page.goto(f"{web.base_url}{view.route}")
        expect(page.get_by_role("heading", name=view.title, level=1)).to_be_visible()
        expect(page.get_by_role("navigation", name="Hauptnavigation", exact=True)).to_be_hidden()
        page.wait_for_timeout(300)  # charts and tables settle
        shoot(page, shot_name("customer", view.route, str(width)))
        assert overflow(page) == 0, f"{view.route} is wider than {width} px"


def menu_reaches_every_view(page: Page, width: int) -> None:
    page.get_by_role("button", name="Menü öffnen").click()
    drawer = page.get_by_role("navigation", name="Hauptnavigation (Menü)")
    for view in CUSTOMER_VIEWS:
        expect(drawer.get_by_role("link", name=view.label, exact=True)).to_be_in_viewport()
    expect(drawer.get_by_role("button", name="Abmelden")).to_be_in_viewport()
    shoot(page, f"customer-menu-{width}")
    drawer.get_by_role("link", name="Smart-Meter").click()
    expect(page.get_by_role("heading", name="Smart-Meter", level=1)).to_be_visible()


def test_on_a_phone_the_customer_navigation_is_a_menu_and_no_view_is_too_wide(
    page: Page, web: WebServer
) -> None:
    user_id = log_in_customer(page, web)
    with web.admin() as admin:  # the meter views with a meter, as a customer sees them
        assert admin.put(f"/admin/users/{user_id}/meters", json={"meter_ids": web.meter_ids[:1]}).is_success
    page.set_viewport_size(PHONE)
    each_customer_view_fits(page, web, PHONE["width"])
    menu_reaches_every_view(page, PHONE["width"])

    page.set_viewport_size(SMALL_PHONE)  # the narrowest phones still sold
    each_customer_view_fits(page, web, SMALL_PHONE["width"])
    menu_reaches_every_view(page, SMALL_PHONE["width"])


def test_on_a_wide_screen_the_navigation_is_inline_and_no_menu_is_shown(page: Page, web: WebServer) -> None:
    page.set_viewport_size(WIDE)
    for area, views, log_in in (
        ("customer", CUSTOMER_VIEWS, log_in_customer),
        ("admin", ADMIN_VIEWS, log_in_admin),
    ):
        log_in(page, web)
        for view in views:
            page.goto(f"{web.base_url}{view.route}")
            expect(page.get_by_role("heading", name=view.title, level=1)).to_be_visible()
            expect(page.get_by_role("navigation", name="Hauptnavigation", exact=True)).to_be_visible()
            expect(page.get_by_role("button", name="Menü öffnen")).to_be_hidden()
            page.wait_for_timeout(300)  # charts and tables settle
            shoot(page, shot_name(area, view.route, "wide-1440"))
            assert overflow(page) == 0, f"{view.route} is wider than 1440 px"


def test_on_a_phone_every_admin_view_fits_and_the_menu_reaches_it(page: Page, web: WebServer) -> None:
    log_in_admin(page, web)
    page.set_viewport_size(PHONE)
    for view in ADMIN_VIEWS:
        page.goto(f"{web.base_url}{view.route}")
        expect(page.get_by_role("heading", name=view.title, level=1)).to_be_visible()
        page.wait_for_timeout(300)
        shoot(page, shot_name("admin", view.route, "414"))
        assert overflow(page) == 0, f"{view.route} is wider than 414 px"
    page.get_by_role("button", name="Menü öffnen").click()
    expect(
        page.get_by_role("navigation", name="Hauptnavigation (Menü)").get_by_role("link", name="Jobs")
    ).to_be_visible()


def edge_shades(page: Page, selector: str) -> tuple[float, float]:
    """The median brightness (0–255) of the leftmost and the rightmost pixel column of the element."""
    shot = Image.open(io.BytesIO(page.locator(selector).first.screenshot())).convert("L")
    width, height = shot.size
    columns = [[shot.getpixel((x, y)) for y in range(height)] for x in (1, width - 2)]
    return statistics.median(columns[0]), statistics.median(columns[1])


def test_on_a_phone_a_table_wider_than_its_card_shows_the_side_it_scrolls_to(
    page: Page, web: WebServer
) -> None:
    log_in_admin(page, web)
    page.set_viewport_size(PHONE)
    page.goto(f"{web.base_url}/admin/jobs")
    table = ".q-table__middle"
    expect(page.locator(table).first).to_be_visible()
    page.wait_for_timeout(300)
    assert page.locator(table).first.evaluate("e => e.scrollWidth > e.clientWidth")

    at_start = edge_shades(page, table)
    page.locator(table).first.evaluate("e => { e.scrollLeft = e.scrollWidth; }")
    page.wait_for_timeout(100)
    at_end = edge_shades(page, table)

    # a shadow on the right while more columns wait there, then on the left only
    assert at_start[0] > 250 and at_start[1] < 235, at_start
    assert at_end[0] < 235 and at_end[1] > 250, at_end
