"""The "Feintuning" view in a real browser: two adapter versions registered straight into the server's
database with their review pairs; the operator votes blind on a pair under her name and sees the progress
move, a second name starts afresh, exports the votes, promotes one version, promotes the other over its
failed gates, and rolls back."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from luna.container import Container, build_container
from luna.domain.errors import Conflict
from luna.domain.finetune.registry import AdapterState, AdapterVersion
from luna.domain.finetune.reviews import Vote
from luna.domain.jobs import Job
from luna.services.finetune.registry import REVIEW_FILE, blob_prefix
from luna.settings import load_settings
from tests.e2e.conftest import WebServer, log_in_admin, shoot

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

NAME = "e2e-chat"
PAIRS = 3


def review_pairs(version: int) -> list[dict[str, str]]:
    return [
        {
            "question": f"Frage {i + 1}: Wann ist Strom am Nachmittag am günstigsten?",
            "reference": "Meist zwischen 13 und 15 Uhr, wenn viel Solarstrom im Netz ist [chunk c1].",
            "candidate": f"Version {version}: Am günstigsten ist Strom meist zwischen 13 und 15 Uhr, "
            "weil dann viel Solarstrom eingespeist wird [chunk c1]. Verschieben Sie Waschmaschine und "
            "Spülmaschine in dieses Fenster.",
            "opponent": "Dazu habe ich leider nichts gefunden.",
            "opponent_kind": "base",
        }
        for i in range(PAIRS)
    ]


def register(container: Container, version: int, *, passed: bool) -> None:
    checks = [
        {"gate": "win_rate_vs_base", "value": 0.8 if passed else 0.4, "threshold": 0.65, "passed": passed},
        {"gate": "win_rate_vs_champion", "value": None, "threshold": 0.5, "passed": True},
    ]
    adapter = AdapterVersion(
        NAME,
        version,
        AdapterState.CANDIDATE,
        datetime(2026, 12, 16, 9, version, tzinfo=UTC),
        "smollm2-135m-instruct",
        "chat-sft@v3",
        f"e2e-job-{version}",
        blob_prefix(NAME, version),
        metrics={
            "win_rate_vs_base": 0.8 if passed else 0.4,
            "rouge_l": 0.412 if passed else 0.205,
            "regression": {"opponent": "base"},
            "regression_score": 0.75 if passed else 0.4,
            "regression_opponent_score": 0.7,
        },
        gates={"passed": passed, "checks": checks},
    )
    with container.database.unit_of_work() as uow:
        uow.finetune_adapters.add(adapter)
        uow.commit()
    body = json.dumps(review_pairs(version), ensure_ascii=False).encode()
    container.blobs.put(f"{blob_prefix(NAME, version)}/{REVIEW_FILE}", body, "application/json")


def state(page: Page, version: int) -> Locator:
    """The state badge of a version's row."""
    return page.locator(".q-table tr").filter(has_text=f"{NAME}@v{version}").locator(".q-badge").first


@pytest.fixture
def server_container(web: WebServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Container]:
    """A container on the e2e server's data folder (its SQLite database and blob folder)."""
    [data_dir] = tmp_path_factory.getbasetemp().glob("e2e[0-9]*/var")
    settings = load_settings(
        "test", environ={"LUNA_DATA_DIR": str(data_dir)}, env_file=data_dir.parent / "absent.env"
    )
    container = build_container(settings)
    yield container
    container.close()


def test_the_operator_reviews_blind_promotes_and_rolls_back(
    page: Page, web: WebServer, server_container: Container, tmp_path: Path
) -> None:
    register(server_container, 1, passed=True)
    register(server_container, 2, passed=False)
    log_in_admin(page, web)
    page.get_by_role("link", name="Feintuning", exact=True).click()
    expect(page.get_by_role("heading", name="Feintuning", exact=True)).to_be_visible()
    table = page.locator(".q-table")
    expect(table).to_contain_text(f"{NAME}@v1")
    expect(table).to_contain_text("nicht bestanden")
    expect(table).to_contain_text("0,412")  # ROUGE-L
    expect(table).to_contain_text("75 % (Basis: 70 %)")  # the golden sets through Luna's answer path

    # The blind review of version 1: no answer says whose it is.
    page.get_by_role("button", name=f"Prüfen: {NAME}@v1").click()
    review = page.locator(".q-card").filter(has_text=f"Prüfen: {NAME}@v1")
    expect(review.get_by_text("0 von 3 bewertet")).to_be_visible()
    expect(review.get_by_text("Antwort A", exact=True)).to_be_visible()
    expect(review.get_by_text("Antwort B", exact=True)).to_be_visible()
    expect(review).not_to_contain_text("Kandidat")
    expect(review).not_to_contain_text("Basismodell")
    # Each person reviews under a name of their own, kept with the browser.
    review.get_by_label("Prüfen als (Ihr Name)").fill("  Anna   Schmidt ")
    review.get_by_role("button", name="Übernehmen").click()
    expect(page.get_by_text("Sie prüfen jetzt als „Anna Schmidt“.")).to_be_visible()
    # The test knows the candidate by its words; the page does not say it.
    side_a = review.locator(".q-card").filter(has_text="Antwort A").inner_text()
    review.get_by_label("Kommentar (optional)").fill("Nennt das Zeitfenster mit Quelle.")
    review.get_by_role("button", name="A ist besser" if "Version 1:" in side_a else "B ist besser").click()
    expect(page.get_by_text("Bewertung gespeichert.")).to_be_visible()
    expect(review.get_by_text("1 von 3 bewertet")).to_be_visible()
    expect(review.get_by_text("Paar 2 von 3")).to_be_visible()  # on to the next open pair
    with server_container.database.unit_of_work(read_only=True) as uow:
        [vote] = uow.finetune_reviews.for_version(NAME, 1)
    assert (vote.reviewer, vote.vote, vote.comment) == (
        "Anna Schmidt",
        Vote.CANDIDATE,
        "Nennt das Zeitfenster mit Quelle.",
    )
    expect(table.locator("tr").filter(has_text=f"{NAME}@v1")).to_contain_text("100 % (1 Stimme)")
    page.evaluate("window.scrollTo(0, 0)")  # the table and the panel under the header
    shoot(page, "admin-finetune")

    with page.expect_download() as downloading:
        review.get_by_role("button", name="finetune_reviews.md herunterladen").click()
    exported = tmp_path / "finetune_reviews.md"
    downloading.value.save_as(exported)
    text = exported.read_text("utf-8")
    assert f"# Menschliche Bewertung: {NAME}@v1" in text
    assert "Nennt das Zeitfenster mit Quelle." in text and "**Basismodell:**" in text

    # A second person sees none of Anna's votes; her own come back with her name.
    review.get_by_label("Prüfen als (Ihr Name)").fill("Ben Berger")
    review.get_by_label("Prüfen als (Ihr Name)").press("Enter")
    expect(review.get_by_text("0 von 3 bewertet")).to_be_visible()
    review.get_by_label("Prüfen als (Ihr Name)").fill("Anna Schmidt")
    review.get_by_role("button", name="Übernehmen").click()
    expect(review.get_by_text("1 von 3 bewertet")).to_be_visible()

    # Version 1 passed its gates: promoted after the question.
    page.get_by_role("button", name=f"Als Champion einsetzen: {NAME}@v1").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("ersetzt das Basismodell")
    dialog.get_by_role("button", name="Einsetzen").click()
    expect(page.get_by_text(f"{NAME}@v1 ist jetzt der Champion.")).to_be_visible()
    expect(state(page, 1)).to_have_text("Champion")

    # Version 2 failed its gates: only with "Trotzdem einsetzen".
    page.get_by_role("button", name=f"Als Champion einsetzen: {NAME}@v2").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("Gewinnrate ggü. Basismodell")
    expect(dialog.get_by_role("button", name="Einsetzen")).to_be_disabled()
    shoot(page, "admin-finetune-promote")
    dialog.get_by_text("Trotzdem einsetzen").click()
    dialog.get_by_role("button", name="Einsetzen").click()
    expect(page.get_by_text(f"{NAME}@v2 ist jetzt der Champion.")).to_be_visible()
    expect(state(page, 1)).to_have_text("Archiviert")
    expect(state(page, 2)).to_have_text("Champion")

    # The rollback restores version 1.
    page.get_by_role("button", name=f"Zurückrollen: {NAME}@v2").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text(f"danach antwortet {NAME}@v1")
    dialog.get_by_role("button", name="Zurückrollen").click()
    expect(page.get_by_text(f"Zurückgerollt: {NAME}@v1 antwortet wieder.")).to_be_visible()
    expect(state(page, 2)).to_have_text("Zurückgerollt")
    expect(state(page, 1)).to_have_text("Champion")
    with server_container.database.unit_of_work(read_only=True) as uow:
        assert uow.finetune_adapters.champion(NAME) is not None
        actions = [entry.action for entry in uow.audit.list(limit=10) if NAME in (entry.target or "")]
    assert actions == ["finetune.rollback", "finetune.promote", "finetune.promote"]

    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_role("button", name=f"Prüfen: {NAME}@v1").click()
    expect(review.get_by_text("1 von 3 bewertet")).to_be_visible()
    shoot(page, "admin-finetune-narrow")


def test_the_operator_starts_a_run_from_the_view_after_a_question(
    page: Page, web: WebServer, server_container: Container
) -> None:
    def runs() -> list[Job]:
        return server_container.services.jobs.list(None, "finetune.run", 10, 0)[0]

    before = len(runs())
    log_in_admin(page, web)
    page.goto(f"{web.base_url}/admin/finetune")
    page.get_by_role("button", name="Lauf starten").click()  # no training data yet: said, nothing queued
    expect(page.get_by_text("noch keine Version mit Trainingsdaten")).to_be_visible()
    assert len(runs()) == before
    dataset = server_container.finetune.service.config().dataset.name
    line = b'{"messages": [{"role": "user", "content": "Was ist ein Tarif?"}]}\n'
    server_container.blobs.put(f"datasets/{dataset}/v1/sft/train.jsonl", line)

    page.get_by_role("button", name="Lauf starten").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("Trainiert „luna-answers“")  # the configured template, checked first
    dialog.get_by_role("button", name="Abbrechen").click()
    assert len(runs()) == before  # asked, declined: nothing queued

    page.get_by_role("button", name="Lauf starten").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Starten").click()
    expect(page.get_by_text("Feintuning gestartet (Job")).to_be_visible()
    queued = runs()
    assert len(queued) == before + 1 and queued[0].created_by == "admin"
    page.reload()  # the view says how its newest run went (one that failed at once showed nothing)
    expect(page.get_by_text("Letzter Lauf:")).to_be_visible()
    with contextlib.suppress(Conflict):  # its training set is one line: it may have failed already
        server_container.services.jobs.cancel(queued[0].job_id)
