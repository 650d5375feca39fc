"""The customer dashboard in a real browser: log in, ask Luna, open a source, rate the answer, read
the meter and price charts and the recommendations, with a help card on every view."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Page, expect

from luna.web.components.formats import de_int
from tests.e2e.conftest import WebServer, log_in_customer, shoot, wait_for_job

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def ask_luna(page: Page, web: WebServer, question: str) -> None:
    """Log in as a new customer, open "Fragen an Luna" and send ``question``."""
    log_in_customer(page, web)
    page.goto(f"{web.base_url}/ask")
    field = page.get_by_label("Ihre Frage an Luna")
    field.fill(question)
    field.press("Enter")


def test_a_customer_logs_in_and_sees_their_own_energy_at_home_with_help(page: Page, web: WebServer) -> None:
    with web.admin() as admin:  # tomorrow's day-ahead prices are out
        files = {"file": ("market_prices_ahead_home.csv", day_ahead_csv(), "text/csv")}
        assert admin.post("/admin/feeds/csv", files=files).status_code in (200, 201)
    user_id = log_in_customer(page, web)

    expect(page.get_by_text("Ihrem Konto ist noch kein Zähler zugeordnet")).to_be_visible()
    expect(page.get_by_text("Strompreis", exact=True)).to_be_visible()
    expect(page.get_by_text("Alle Dienste laufen")).to_have_count(0)  # operator facts are admin's
    expect(page.get_by_text(re.compile(r"^Günstigste 2 Stunden$"))).to_be_visible()
    shoot(page, "customer-overview-no-meter")
    with web.admin() as admin:
        assert admin.put(f"/admin/users/{user_id}/meters", json={"meter_ids": web.meter_ids[:1]}).is_success
    page.reload()

    for card in ("Heute", "Dieser Monat"):
        expect(page.get_by_role("heading", name=card)).to_be_visible()
    expect(page.get_by_text(re.compile(r"^\d+,\d kWh$")).first).to_be_visible()
    expect(page.get_by_text(re.compile(r"^-?\d+,\d\d €$")).first).to_be_visible()
    shoot(page, "customer-overview")
    expect(page.get_by_text("weiterer Zähler")).to_have_count(0)
    page.get_by_text("Hilfe zu dieser Ansicht").click()
    expect(
        page.get_by_text("Die Übersicht zeigt auf einen Blick, wie es um Ihren Strom steht")
    ).to_be_visible()
    with web.admin() as admin:
        assert admin.put(f"/admin/users/{user_id}/meters", json={"meter_ids": web.meter_ids[:2]}).is_success
    page.reload()
    # the figures are the first meter's; the other meter is one click away (said once, under the month)
    expect(page.get_by_role("link", name="1 weiterer Zähler unter „Smart-Meter“")).to_have_count(1)
    shoot(page, "customer-overview-two-meters")
    page.get_by_role("link", name="1 weiterer Zähler unter „Smart-Meter“").click()
    expect(page.get_by_role("heading", name="Smart-Meter", level=1)).to_be_visible()


def test_a_question_streams_an_answer_whose_source_opens_and_whose_rating_is_stored(
    page: Page, web: WebServer
) -> None:
    log_in_customer(page, web)
    page.get_by_role("link", name="Fragen an Luna").click()

    page.get_by_label("Ihre Frage an Luna").fill(
        "Wann lohnt sich Lastverschiebung mit einem dynamischen Tarif?"
    )
    page.get_by_role("button", name="Fragen").click()
    expect(page.get_by_text("War diese Antwort hilfreich?")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"^Quelle 1: "))).to_be_visible()
    shoot(page, "customer-ask")

    page.get_by_role("button", name=re.compile(r"^Quelle 1: ")).click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading", name="Stromtarife und Lastverschiebung")).to_be_visible()
    shoot(page, "customer-ask-source")
    dialog.get_by_role("button", name="Schließen").click()
    expect(dialog).to_have_count(0)

    page.get_by_role("button", name="Hilfreich", exact=True).click()
    page.get_by_label("Anmerkung (optional)").fill("Gut erklärt, danke.")
    page.get_by_role("button", name="Bewertung senden").click()
    expect(page.get_by_text("Danke! Ihre Bewertung hilft Luna")).to_be_visible()
    with httpx.Client(base_url=web.api, headers={"X-Admin-Key": web.admin_key}) as admin:
        overview = admin.get("/metrics/overview").json()["data"]
    assert overview["feedback"]["overall"]["useful"] >= 1


def test_the_meter_view_charts_consumption_and_pv_and_follows_new_readings(
    page: Page, web: WebServer
) -> None:
    user_id = log_in_customer(page, web)
    page.get_by_role("link", name="Smart-Meter").click()
    expect(page.get_by_text("Ihrem Konto ist noch kein Zähler zugeordnet")).to_be_visible()
    with web.admin() as admin:
        linked = admin.put(f"/admin/users/{user_id}/meters", json={"meter_ids": web.meter_ids[:1]})
    assert linked.status_code == 200, linked.text
    page.reload()

    caption = page.get_by_text(re.compile(r"^[\d.]+ Werte, Auflösung: "))
    expect(caption).to_be_visible()
    expect(page.locator(".nicegui-echart canvas").first).to_be_visible()
    expect(page.get_by_text("Typischer Tagesverlauf")).to_be_visible()
    shoot(page, "customer-energy")
    page.get_by_label("Auflösung").click()
    page.get_by_role("option", name="Messwerte").click()
    expect(caption).to_contain_text("Auflösung: Messwerte · Leistung in kW")
    readings = int(caption.inner_text().split()[0].replace(".", ""))

    # New readings arrive while the page is open: the chart follows by itself.
    _backfill_hour_before_the_first_reading(web)
    expect(caption).to_have_text(f"{de_int(readings + 60)} Werte, Auflösung: Messwerte · Leistung in kW")


def day_ahead_csv() -> bytes:
    """EEX BASE prices per quarter-hour from this hour to the end of tomorrow (Europe/Berlin)."""
    berlin = ZoneInfo("Europe/Berlin")
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    end = (datetime.now(berlin) + timedelta(days=2)).replace(hour=0, minute=0, second=0, microsecond=0)
    lines = ["market,product,ts,price_eur_mwh,volume"]
    at, i = start, 0
    while at < end:
        lines.append(f"EEX,BASE,{at.isoformat()},{60 + 40 * math.sin(i / 12):.2f},1000")
        at, i = at + timedelta(minutes=15), i + 1
    return ("\n".join(lines) + "\n").encode()


def test_the_market_view_shows_the_customers_price_and_todays_and_tomorrows_cheapest_windows(
    page: Page, web: WebServer
) -> None:
    log_in_customer(page, web)
    with web.admin() as admin:  # the day-ahead auction's result: prices up to the end of tomorrow
        uploaded = admin.post(
            "/admin/feeds/csv", files={"file": ("market_prices_ahead.csv", day_ahead_csv(), "text/csv")}
        )
    assert uploaded.status_code in (200, 201), uploaded.text
    page.get_by_role("link", name="Marktpreise").click()

    expect(page.get_by_text("Durchschnitt", exact=True)).to_be_visible()
    expect(page.get_by_text(re.compile(r"^-?\d+,\d ct/kWh$")).first).to_be_visible()
    expect(page.get_by_text("€/MWh")).to_have_count(0)  # one unit throughout: ct/kWh
    expect(page.get_by_text("PEAK")).to_have_count(0)
    expect(
        page.get_by_text(re.compile(r"^Day-Ahead-Preise der Gebotszone Deutschland-Luxemburg als"))
    ).to_be_visible()
    expect(page.locator(".nicegui-echart canvas").first).to_be_visible()
    days = page.get_by_role("cell", name=re.compile(r"^(heute|morgen), \d\d\.\d\d\.$"))
    expect(days.first).to_be_visible()  # only today and tomorrow, never a past day
    # How the customer's price is made up (the default surcharges and VAT).
    composition = page.get_by_text(
        "Endkundenpreis = (Börsenpreis + 18,59 ct/kWh Aufschläge) zzgl. 19 % MwSt."
    )
    expect(composition).to_be_visible()
    expect(
        page.get_by_text(re.compile(r"^Aufschläge je kWh \(netto\): Netzentgelt 10 ct · "))
    ).to_be_visible()
    shoot(page, "customer-market")
    page.set_viewport_size({"width": 1440, "height": 900})
    shoot(page, "customer-market-1440")

    # The period and the load's duration survive a reload; the shown prices download as German CSV.
    page.get_by_label("Zeitraum").click()
    page.get_by_role("option", name="Letzte 7 Tage").click()
    page.wait_for_url(re.compile(r"zeitraum=7d"))
    page.get_by_label("Laufzeit des Geräts").click()
    page.get_by_role("option", name="3 Stunden").click()
    page.wait_for_url(re.compile(r"zeitraum=7d&dauer=3"))
    page.reload()
    expect(page.get_by_label("Zeitraum")).to_have_value("Letzte 7 Tage")
    expect(page.get_by_label("Laufzeit des Geräts")).to_have_value("3 Stunden")
    expect(days.first).to_be_visible()
    page.set_viewport_size({"width": 390, "height": 844})  # a week of windows on a phone
    shoot(page, "customer-market-7d-390")
    # The windows table fits its card: "Tagesdurchschnitt" pushed its last column out of view.
    table = page.locator(".q-table__middle")
    expect(table).to_have_count(1)
    widths = table.evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert widths[0] <= widths[1] + 1, f"the windows table scrolls sideways: {widths}"  # 1 px: rounding
    with page.expect_download() as download:
        page.get_by_role("button", name="CSV herunterladen").click()
    assert re.fullmatch(r"luna-strompreise-\d{4}-\d\d-\d\d-7d\.csv", download.value.suggested_filename)
    lines = download.value.path().read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "Beginn;Ende;Börsenpreis (ct/kWh);Ihr Preis (ct/kWh)", lines[0]
    priced = [line for line in lines[1:] if not line.endswith(";;")]
    assert priced and all(
        re.fullmatch(r"(\d\d\.){2}\d{4} \d\d:\d\d;.+;-?\d+,\d{3};\d+,\d{3}", x) for x in priced
    )
    exchange, yours = (float(field.replace(",", ".")) for field in priced[0].split(";")[2:])
    assert yours == pytest.approx((exchange + 18.586) * 1.19, abs=0.002)


def test_recommendations_show_reasons_and_energy_advice_in_euros(page: Page, web: WebServer) -> None:
    user_id = log_in_customer(page, web)
    with web.admin() as admin:
        linked = admin.put(f"/admin/users/{user_id}/meters", json={"meter_ids": web.meter_ids[:1]})
    assert linked.status_code == 200, linked.text
    page.get_by_role("link", name="Empfehlungen").click()

    expect(page.get_by_text("Lesenswert für Sie")).to_be_visible()
    expect(page.get_by_role("button", name="Lesen").first).to_be_visible()
    expect(page.get_by_text(re.compile(r"€")).first).to_be_visible()
    shoot(page, "customer-recommendations")
    # A small knowledge base fills the list with several chunks of a document: one card per document,
    # which names the document's other sections worth reading.
    cards = page.locator(".luna-citation").filter(has=page.get_by_role("button", name="Nicht interessant"))
    titles = [card.locator(".font-medium").first.inner_text() for card in cards.all()]
    assert titles and len(titles) == len(set(titles)), titles
    sample = cards.filter(has_text="Stromtarife und Lastverschiebung")
    expect(sample).to_have_count(1)
    more = sample.get_by_text("Auch lesenswert in diesem Dokument:")
    expect(more).to_be_visible()
    for width, height in ((1366, 768), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        shoot(page, f"customer-recommendations-{width}")
    page.set_viewport_size({"width": 1280, "height": 720})
    sample.get_by_role("group", name="Weitere Abschnitte").get_by_role("button").first.click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="Stromtarife und Lastverschiebung")).to_be_visible()
    # the section in its place: the passage around it, and the whole document one click away
    dialog.get_by_role("button", name="Ganzes Dokument anzeigen").click()
    expect(dialog.locator(".luna-cited-passage")).to_be_visible()
    expect(dialog.get_by_role("button", name="Ganzes Dokument anzeigen")).to_have_count(0)
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    # The sample's appliance table is among the chunks: excerpts show its rows as text, never its pipes.
    expect(page.locator(".luna-excerpt").first).to_be_visible()
    expect(page.locator(".luna-excerpt").filter(has_text="|")).to_have_count(0)

    page.get_by_role("button", name="Lesen").first.click()
    expect(page.get_by_role("dialog")).to_be_visible()
    page.keyboard.press("Escape")
    # With a second meter, each piece of advice names the meter it is about.
    with web.admin() as admin:
        linked = admin.put(f"/admin/users/{user_id}/meters", json={"meter_ids": web.meter_ids[:2]})
    assert linked.status_code == 200, linked.text
    page.reload()
    expect(page.get_by_text("Energie-Empfehlungen für Ihre Zähler")).to_be_visible()
    advice = page.locator(".q-card.border-amber-500")  # the advice cards
    expect(advice.first).to_be_visible()
    for card in advice.all():
        expect(card.get_by_text(re.compile(r"^Zähler "))).to_have_count(1)
    shoot(page, "customer-recommendations-two-meters")


def test_dismissing_a_recommendation_removes_its_card_and_keeps_its_document_away(
    page: Page, web: WebServer
) -> None:
    """Even clicked twice in a hurry: one confirmation, one card less, no error, and the document is
    not recommended again."""
    user_id = log_in_customer(page, web)
    page.get_by_role("link", name="Empfehlungen").click()
    dismissable = page.get_by_role("button", name="Nicht interessant")
    cards = page.locator(".luna-citation").filter(has=dismissable)
    expect(cards.first).to_be_visible()
    before = cards.count()
    title = cards.first.locator(".font-medium").first.inner_text()

    # Two clicks in one go, both sent before the server answers the first.
    cards.first.get_by_role("button", name="Nicht interessant").evaluate(
        "button => { button.click(); button.click(); }"
    )

    confirmation = page.get_by_text("Verstanden: Luna schlägt Ihnen dieses Dokument nicht mehr vor.")
    expect(confirmation).to_have_count(1)
    expect(cards).to_have_count(before - 1)
    page.get_by_role("button", name="Neu laden").click()
    expect(page.get_by_text("Lesenswert für Sie")).to_be_visible()
    expect(page.get_by_text("Fehlernummer")).to_have_count(0)
    with httpx.Client(base_url=web.api, headers={"X-Dev-User": user_id}) as customer:
        listed = customer.post("/recommend", json={"top_k": 20}).json()["data"]["items"]
    assert title not in [item["payload"]["title"] for item in listed if item["kind"] == "content"]


def _backfill_hour_before_the_first_reading(web: WebServer) -> None:
    """Readings arrive for the meters: an hour before their first (always in the past, whatever else the
    suite's simulator wrote after them)."""
    with web.admin() as admin:
        first = admin.get("/data/meters").json()["data"]["meters"][0]["first_ts"]
        end = datetime.fromisoformat(first)
        params = {"start": (end - timedelta(hours=1)).isoformat(), "end": end.isoformat(), "meters": 2}
        submitted = admin.post("/admin/jobs", json={"name": "sim.backfill", "params": params})
        assert submitted.status_code == 202, submitted.text
        wait_for_job(admin, submitted.json()["data"]["job_id"])


def test_unknown_pages_and_api_paths_answer_in_their_own_language(page: Page, web: WebServer) -> None:
    page.goto(f"{web.base_url}/gibt-es-nicht")
    expect(page.get_by_text("Diese Seite gibt es nicht")).to_be_visible()
    # What is asserted is the answer, not its speed: a server shared with a busy suite may take a while.
    with httpx.Client(base_url=web.base_url, timeout=30.0) as client:
        missing = client.get("/api/v1/gibt-es-nicht")
        wrong_method = client.get("/api/v1/rag/ask")
        # A chat tool probing the OpenAI paths Luna lacks got the dashboard's HTML page.
        openai_paths = [client.post("/v1/completions", json={}), client.get("/v1"), client.get("/v1/engines")]
        metrics = client.get("/metrics", headers={"Authorization": f"Bearer {web.admin_key}"})
        docs = client.get("/api/v1/docs")
    assert missing.status_code == 404 and missing.json()["data"]["code"] == "not_found"
    assert wrong_method.status_code == 405 and wrong_method.json()["data"]["code"] == "method_not_allowed"
    assert [(r.status_code, r.json()["error"]["type"]) for r in openai_paths] == [
        (404, "not_found_error")
    ] * 3
    assert metrics.status_code == 200 and "luna_http_requests_total" in metrics.text
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


def test_a_conversation_answers_a_follow_up_links_its_sources_and_survives_a_reload(
    page: Page, web: WebServer
) -> None:
    ask_luna(page, web, "Wann lohnt sich Lastverschiebung mit einem dynamischen Tarif?")
    expect(page.get_by_text("War diese Antwort hilfreich?")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/ask\?gespraech=[0-9a-f-]{36}$"))

    page.get_by_role("link", name="Quelle 1 öffnen").first.click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="Stromtarife und Lastverschiebung")).to_be_visible()
    expect(dialog.get_by_text("Dokument", exact=True)).to_be_visible()
    dialog.get_by_role("button", name="Ganzes Dokument anzeigen").click()
    expect(dialog.locator(".luna-cited-passage")).to_be_visible()
    shoot(page, "customer-ask-whole-document")
    dialog.get_by_role("button", name="Schließen").click()
    # Closing takes a round trip and gives the focus back to the source link: a question typed
    # before that lands on the link, and Enter opens the source again instead of asking.
    expect(dialog).to_have_count(0)

    question = page.get_by_label("Ihre Frage an Luna")
    question.fill("Und was brauche ich dafür?")
    for _ in range(3):  # an impatient reader: each Enter asked (and stored) the question once more
        question.press("Enter")
    expect(page.get_by_text("War diese Antwort hilfreich?")).to_have_count(2)
    expect(page.locator(".luna-question")).to_have_count(2)
    # The follow-up adds what is needed instead of repeating when it pays.
    expect(page.locator(".luna-answer-md").nth(1)).to_contain_text("Voraussetzung ist ein intelligentes")
    shoot(page, "customer-ask-conversation")
    conversation_url = page.url

    page.reload()
    expect(page.locator(".luna-question")).to_have_text(
        ["Wann lohnt sich Lastverschiebung mit einem dynamischen Tarif?", "Und was brauche ich dafür?"]
    )
    expect(page.get_by_role("link", name="Quelle 1 öffnen").first).to_be_visible()

    page.get_by_role("button", name="Neues Gespräch").click()
    expect(page.get_by_text("Noch keine Frage gestellt")).to_be_visible()
    page.get_by_text("Frühere Gespräche").click()
    page.get_by_role("link", name="Wann lohnt sich Lastverschiebung mit einem dynamischen Tarif?").click()
    expect(page.locator(".luna-question")).to_have_count(2)
    assert page.url == conversation_url

    page.set_viewport_size({"width": 414, "height": 896})
    shoot(page, "customer-ask-conversation-414")


def test_a_refusal_offers_follow_up_questions_that_one_click_asks(page: Page, web: WebServer) -> None:
    ask_luna(page, web, "Wer gewann 1954 die Fußball-WM?")
    offered = page.get_by_role("group", name="Vorgeschlagene Fragen").get_by_role("button")
    expect(offered.first).to_be_visible()
    expect(page.get_by_role("link", name="Quelle 1 öffnen")).to_have_count(0)
    shoot(page, "customer-ask-refusal")

    follow_up = offered.first.inner_text().replace("help_outline", "").strip()
    offered.first.dblclick()  # asked it twice

    expect(page.locator(".luna-question")).to_have_text(["Wer gewann 1954 die Fußball-WM?", follow_up])
    expect(page.get_by_role("link", name="Quelle 1 öffnen").first).to_be_visible()
    expect(page.get_by_text("War diese Antwort hilfreich?")).to_have_count(2)
    expect(offered.first).to_be_disabled()  # asked: it cannot ask the same question again
    expect(page.locator(".luna-question")).to_have_count(2)
    expect(page.get_by_role("group", name="Bewertung der Antwort")).to_have_count(2)
    shoot(page, "customer-ask-follow-up-asked")


def test_a_question_about_a_firm_the_documents_never_name_says_so_and_offers_what_they_cover(
    page: Page, web: WebServer
) -> None:
    ask_luna(page, web, "Ab wann bietet Tibber einen dynamischen Stromtarif an?")

    expect(page.get_by_text("„Tibber“ kommt in meinen Unterlagen nicht vor")).to_be_visible()
    expect(page.get_by_role("link", name="Quelle 1 öffnen")).to_have_count(0)
    offered = page.get_by_role("group", name="Vorgeschlagene Fragen").get_by_role("button")
    expect(offered.first).to_be_visible()  # what the documents do answer, one click away
    shoot(page, "customer-ask-unknown-name")
