"""The blind review panel of ``/admin/finetune``: one pair at a time, "Antwort A" beside "Antwort B"
(stacked on narrow screens), three verdicts, a comment, the reviewer's progress and the markdown export.
Each browser reviews under the name it gives ("Prüfen als"), kept in its session; without one its
votes count as "admin".

What the panel shows comes from :meth:`ReviewService.pairs`, which never says which answer is the
candidate's; the service turns the chosen side into the role when it stores the vote.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Final

from nicegui import ui

from luna.services.finetune.reviews import EXPORT_FILE, ReviewPair, ReviewService
from luna.web.components.errors import failure_shown
from luna.web.components.offload import in_thread
from luna.web.components.widgets import card_title, empty_state, loading
from luna.web.session import MAX_REVIEWER_NAME, remember_reviewer_name, reviewer_name

#: The verdict buttons: (choice, German label).
VERDICTS: Final = (("A", "A ist besser"), ("tie", "Gleich gut"), ("B", "B ist besser"))
_CHOSEN: Final = dict(VERDICTS)


class ReviewPanel:
    """The "Prüfen" card; :meth:`open` shows a version's pairs to this browser's reviewer, or to
    ``anonymous`` when it gave no name."""

    def __init__(
        self, reviews: ReviewService, anonymous: str, on_vote: Callable[[], Awaitable[None]]
    ) -> None:
        self._reviews = reviews
        self._anonymous = anonymous
        self._on_vote = on_vote
        self._version: tuple[str, int] | None = None
        self._pairs: list[ReviewPair] = []
        self._at = 0
        with ui.card().classes("w-full").mark("finetune-review"):
            self._body = ui.column().classes("w-full gap-3")
        self._empty()

    @property
    def version(self) -> tuple[str, int] | None:
        return self._version

    @property
    def _reviewer(self) -> str:
        return reviewer_name() or self._anonymous

    async def open(self, name: str, version: int) -> None:
        self._body.clear()
        with self._body:
            card_title(f"Prüfen: {name}@v{version}", "rate_review")
            loading()
        with failure_shown(self._body, what="Die Vergleichspaare"):
            self._pairs = await in_thread(self._reviews.pairs, name, version, self._reviewer)
            self._version = (name, version)
            self._at = next((i for i, p in enumerate(self._pairs) if p.choice is None), 0)
            self._render()

    def _empty(self) -> None:
        self._body.clear()
        with self._body:
            card_title("Prüfen", "rate_review")
            empty_state(
                "Keine Version gewählt",
                "Sobald es Adapter-Versionen gibt, wählen Sie in ihrer Tabelle bei einer Version "
                "„Prüfen“, um ihre Antworten blind zu vergleichen.",
                "rate_review",
            )

    def _render(self) -> None:
        assert self._version is not None
        name, version = self._version
        self._body.clear()
        with self._body:
            with ui.row().classes("w-full items-center gap-2"):
                card_title(f"Prüfen: {name}@v{version}", "rate_review")
                ui.space()
                ui.button(f"{EXPORT_FILE} herunterladen", icon="download", on_click=self._download).props(
                    "flat no-caps"
                ).mark("finetune-export")
            self._reviewer_field()
            if not self._pairs:
                empty_state(
                    "Keine Vergleichspaare",
                    "Für diese Version wurden beim Training keine Testfragen zum Vergleich gespeichert.",
                    "rate_review",
                )
                return
            done = sum(p.choice is not None for p in self._pairs)
            with ui.column().classes("w-full gap-1"):
                ui.label(f"{done} von {len(self._pairs)} bewertet").classes("text-sm font-medium").props(
                    'role="status"'
                ).mark("finetune-progress")
                ui.linear_progress(value=done / len(self._pairs), show_value=False, size="8px").props(
                    f'rounded aria-label="{done} von {len(self._pairs)} bewertet"'
                )
            ui.label(
                "Sie sehen nicht, welche Antwort von der neuen Version stammt; die Seiten sind für jede "
                "Frage neu ausgelost."
            ).classes("text-xs luna-muted")
            self._pair(self._pairs[self._at])

    def _reviewer_field(self) -> None:
        """Who votes: each name has its own order, sides and votes; the name stays with the browser."""
        with ui.row().classes("w-full items-center gap-2"):
            field = (
                ui.input("Prüfen als (Ihr Name)", value=reviewer_name() or "", placeholder=self._anonymous)
                .props(f'outlined dense maxlength="{MAX_REVIEWER_NAME}"')
                .classes("w-72")
            )
            field.on("keydown.enter", lambda: self._rename(field.value))
            ui.button("Übernehmen", on_click=lambda: self._rename(field.value)).props("flat no-caps")
        ui.label(
            f"Stimmen zählen je Name, so können mehrere Personen dieselbe Version prüfen. Ohne Namen "
            f"zählen Ihre Stimmen als „{self._anonymous}“."
        ).classes("text-xs luna-muted")

    async def _rename(self, name: str | None) -> None:
        if self._version is None:
            return
        remembered = remember_reviewer_name(name or "")
        ui.notify(f"Sie prüfen jetzt als „{remembered or self._anonymous}“.", type="info")
        await self.open(*self._version)

    def _pair(self, pair: ReviewPair) -> None:
        total = len(self._pairs)
        with ui.row().classes("w-full items-center gap-2"):
            ui.button(icon="chevron_left", on_click=lambda: self._go(-1)).props(
                'flat round dense aria-label="Voriges Paar"'
            ).set_enabled(self._at > 0)
            ui.label(f"Paar {self._at + 1} von {total}").classes("text-sm")
            ui.button(icon="chevron_right", on_click=lambda: self._go(1)).props(
                'flat round dense aria-label="Nächstes Paar"'
            ).set_enabled(self._at < total - 1)
        with ui.column().classes("w-full gap-1"):
            ui.label("Frage").classes("text-sm luna-muted")
            ui.label(pair.question).classes("luna-answer font-medium").mark("finetune-question")
        if pair.reference:
            with ui.expansion("Referenzantwort anzeigen", icon="menu_book").classes("w-full"):
                ui.label(pair.reference).classes("luna-answer text-sm")
        with ui.element("div").classes("w-full grid grid-cols-1 md:grid-cols-2 gap-4"):
            for side, text in (("A", pair.answer_a), ("B", pair.answer_b)):
                with ui.card().props("flat bordered").classes("w-full gap-2").mark(f"finetune-answer-{side}"):
                    ui.label(f"Antwort {side}").classes("luna-card-title").props(
                        'role="heading" aria-level="3"'
                    )
                    ui.label(text or "(leer)").classes("luna-answer text-sm")
        comment = (
            ui.textarea("Kommentar (optional)", value=pair.comment or "")
            .props('outlined autogrow maxlength="2000" counter')
            .classes("w-full")
        )
        with ui.row().classes("w-full items-center gap-2"):
            for choice, label in VERDICTS:
                button = ui.button(label, on_click=lambda _, c=choice: self._vote(pair, c, comment.value))
                button.props("no-caps" if pair.choice == choice else "no-caps outline")
            if pair.choice is not None:
                ui.label(f"Ihre Bewertung: {_CHOSEN[pair.choice]}").classes("text-sm luna-muted")
        self._correction(pair)

    def _correction(self, pair: ReviewPair) -> None:
        """A better answer, written by the operator, goes to the datasets capability as training data."""
        with ui.expansion("Antwort korrigieren", icon="edit_note").classes("w-full").mark("finetune-correct"):
            ui.label(
                "Ihre Antwort wird als Trainingsbeispiel gespeichert und beim nächsten Lauf der Pipeline "
                "„feedback-sft“ übernommen."
            ).classes("text-xs luna-muted")
            text = (
                ui.textarea("Korrigierte Antwort", value=pair.reference)
                .props('outlined autogrow maxlength="4000" counter')
                .classes("w-full")
            )
            ui.button(
                "Als Trainingsbeispiel speichern",
                icon="school",
                on_click=lambda: self._correct(pair, text.value),
            ).props("no-caps outline")

    def _go(self, step: int) -> None:
        self._at = max(0, min(len(self._pairs) - 1, self._at + step))
        self._render()

    async def _vote(self, pair: ReviewPair, choice: str, comment: str | None) -> None:
        if self._version is None:
            return
        name, version = self._version
        with failure_shown(what="Die Bewertung"):
            await in_thread(self._reviews.vote, name, version, self._reviewer, pair.index, choice, comment)
            self._pairs = await in_thread(self._reviews.pairs, name, version, self._reviewer)
            ui.notify("Bewertung gespeichert.", type="positive")
            # On to the next pair still open after this one (or stay, when all are done).
            after = [i for i in range(self._at + 1, len(self._pairs)) if self._pairs[i].choice is None]
            before = [i for i in range(self._at) if self._pairs[i].choice is None]
            self._at = (after or before or [self._at])[0]
            self._render()
            await self._on_vote()

    async def _correct(self, pair: ReviewPair, answer: str | None) -> None:
        if self._version is None:
            return
        name, version = self._version
        with failure_shown(what="Die Korrektur"):
            await in_thread(self._reviews.correct, name, version, pair.index, answer or "", self._reviewer)
            ui.notify("Korrektur als Trainingsbeispiel gespeichert.", type="positive")

    async def _download(self) -> None:
        if self._version is None:
            return
        with failure_shown(what="Der Export"):
            text = await in_thread(self._reviews.export_markdown, *self._version)
            ui.download(text.encode("utf-8"), EXPORT_FILE, "text/markdown")
