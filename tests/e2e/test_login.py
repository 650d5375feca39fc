"""Logging in and out of both dashboards in a real browser, with German refusals."""

from __future__ import annotations

import time
import uuid

import jwt
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import E2E_JWT_SECRET, WebServer, shoot

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_a_customer_logs_in_with_a_token_lands_where_they_wanted_and_logs_out(
    page: Page, web: WebServer
) -> None:
    user_id = str(uuid.uuid4())
    token = jwt.encode({"sub": user_id, "exp": int(time.time()) + 600}, E2E_JWT_SECRET, algorithm="HS256")

    page.goto(f"{web.base_url}/energy?zeitraum=30d")  # the view's state survives the login
    expect(page).to_have_url(f"{web.base_url}/login?next=/energy%3Fzeitraum%3D30d")
    shoot(page, "login-customer")
    page.get_by_role("tab", name="Mit Token").click()
    # The developer panel slides out before the token panel is alone: until then two "Anmelden" buttons
    # are on the page, and a click may land on the one that is leaving.
    expect(page.get_by_label("Benutzer-ID (UUID)")).to_have_count(0)
    sign_in = page.get_by_role("button", name="Anmelden")
    page.get_by_label("Zugangs-Token (JWT)").fill("kein.gültiges.token")
    sign_in.click()
    expect(page.get_by_role("alert")).to_contain_text("Dieses Token ist ungültig")
    page.get_by_label("Zugangs-Token (JWT)").fill(token)
    sign_in.click()

    expect(page.get_by_role("heading", name="Smart-Meter")).to_be_visible()
    expect(page).to_have_url(f"{web.base_url}/energy?zeitraum=30d")
    expect(page.get_by_text(f"Kunde {user_id[:8]}")).to_be_visible()
    page.get_by_role("button", name="Abmelden").click()
    expect(page.get_by_role("heading", name="Anmelden")).to_be_visible()
    page.goto(f"{web.base_url}/")
    expect(page.get_by_role("heading", name="Anmelden")).to_be_visible()


def test_an_admin_link_with_a_query_survives_the_login(page: Page, web: WebServer) -> None:
    """The upload view's "Im Korpus ansehen" (``/admin/corpus?item=…``) opened with an expired session
    showed the whole corpus after login: the query was dropped on the way to the login."""
    page.goto(f"{web.base_url}/admin/corpus?q=Netzentgelt")
    expect(page).to_have_url(f"{web.base_url}/admin/login?next=/admin/corpus%3Fq%3DNetzentgelt")
    page.get_by_label("Admin-Schlüssel").fill(web.admin_key)
    page.get_by_role("button", name="Anmelden").click()

    expect(page.get_by_role("heading", name="Korpus")).to_be_visible()
    expect(page).to_have_url(f"{web.base_url}/admin/corpus?q=Netzentgelt")


def test_the_admin_logs_in_with_the_key_only_and_logs_out(page: Page, web: WebServer) -> None:
    page.goto(f"{web.base_url}/admin")
    field = page.get_by_label("Admin-Schlüssel")
    field.fill("falscher-schluessel-0123456789")
    field.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("Der Admin-Schlüssel ist nicht korrekt")
    shoot(page, "login-admin")

    field.fill(web.admin_key)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", name="Übersicht & Gesundheit")).to_be_visible()
    expect(page.get_by_text("Alle Dienste laufen")).to_be_visible()
    shoot(page, "admin-overview")
    page.get_by_role("button", name="Abmelden").click()
    expect(page.get_by_role("heading", name="Administration")).to_be_visible()
    page.goto(f"{web.base_url}/admin")
    expect(page.get_by_label("Admin-Schlüssel")).to_be_visible()
