"""axe-core (the engine behind Lighthouse's accessibility audit, bundled by axe-playwright-python) on
every customer and admin view: no serious or critical violation (contrast, names, labels, roles)."""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from luna.web.components.navigation import ADMIN_VIEWS, CUSTOMER_VIEWS, View
from tests.e2e.conftest import WebServer, log_in_admin, log_in_customer

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SERIOUS = ("serious", "critical")


def serious_violations(page: Page) -> list[str]:
    """Each serious or critical violation with the elements it was found on."""
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


def test_no_admin_view_has_a_serious_accessibility_violation(page: Page, web: WebServer) -> None:
    log_in_admin(page, web)

    assert audit(page, web, ADMIN_VIEWS) == {}
