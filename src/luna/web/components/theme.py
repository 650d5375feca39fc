"""Luna's look: a deep blue for the brand, amber for energy, on a light background.

Every colour that carries text meets WCAG AA against the background it sits on (4.5:1): the
primary, secondary, positive, negative and warning colours carry white text; amber is a fill
(PV in charts, highlights) with dark text on it. The focus ring is drawn for keyboard users only
(``:focus-visible``) in a colour with at least 3:1 contrast against both the page and the header.
"""

from __future__ import annotations

from typing import Final

from nicegui import ui

PRIMARY: Final = "#0B4F6C"  # Luna deep blue (white text 8.9:1)
SECONDARY: Final = "#0F766E"  # teal (white text 5.5:1)
ACCENT: Final = "#F59E0B"  # amber: energy; dark text only
ACCENT_DARK: Final = "#B45309"  # amber for text and outlines on light backgrounds (4.9:1)
POSITIVE: Final = "#15803D"
NEGATIVE: Final = "#B91C1C"
WARNING: Final = "#B45309"
INFO: Final = "#1D4ED8"
TEXT: Final = "#1F2937"
MUTED_TEXT: Final = "#4B5563"  # secondary text (7.6:1 on white)
PAGE_BACKGROUND: Final = "#F4F7FA"

#: Series colours of the charts, by meaning.
CONSUMPTION: Final = PRIMARY
PRODUCTION: Final = ACCENT
PRICE: Final = SECONDARY
PEAK_PRICE: Final = "#7C3AED"
NEGATIVE_PRICE: Final = NEGATIVE
CHEAP_WINDOW: Final = "rgba(21, 128, 61, 0.14)"
#: The cheap window's shade in a legend: stronger than the shade, which is too faint at swatch size.
CHEAP_WINDOW_SWATCH: Final = "rgba(21, 128, 61, 0.35)"

_CSS: Final = f"""
body {{ background: {PAGE_BACKGROUND}; color: {TEXT}; }}
/* A ring as box-shadow: Quasar's .no-outline removes outlines from its buttons with !important. */
:focus-visible {{ outline: none; box-shadow: 0 0 0 3px {ACCENT_DARK} !important; }}
.q-header :focus-visible {{ box-shadow: 0 0 0 3px #FCD34D !important; }}
.q-field__native:focus-visible {{ box-shadow: none !important; }}
.luna-muted {{ color: {MUTED_TEXT}; }}
/* NiceGUI's default link blue (#3b82f6) has 3.7:1 on white; links take the primary colour (8.9:1). */
.nicegui-link {{ color: {PRIMARY}; }}
/* The error toast's close button: white on the red toast, not red on red. */
.q-notification.bg-negative .q-btn {{ color: #FFFFFF !important; background: rgba(255, 255, 255, 0.18); }}
.luna-nav .q-btn {{ text-transform: none; font-weight: 500; }}
.luna-nav .luna-nav-active {{ background: rgba(255, 255, 255, 0.16); box-shadow: inset 0 -3px 0 {ACCENT}; }}
.luna-main {{ width: 100%; max-width: 1440px; margin: 0 auto; }}
/* Nothing is wider than the screen: cards shrink, wide tables scroll inside their card. */
.luna-main .q-card {{ max-width: 100%; }}
.luna-main .q-table__container {{ max-width: 100%; }}
/* A one-line label cut with an ellipsis stays within its column (a flex column sizes it to its text);
   long words (paths, URLs, breadcrumbs) in questions and answers break instead of widening the page. */
.luna-main .ellipsis {{ max-width: 100%; }}
.luna-question, .luna-answer, .luna-answer-md {{ overflow-wrap: anywhere; }}
/* So does every other text a user or a document gave (a feedback note, a title, an excerpt, a passage
   in a dialog): a word of 1,500 characters made the admin's activity page 17,504 px wide. */
.luna-main, .q-dialog {{ overflow-wrap: anywhere; }}
/* Except in table cells: there "anywhere" let a crowded column shrink to one letter a line (the job
   list on a phone). A cell keeps its longest word whole, and a wide table scrolls inside its card. */
.luna-main .q-table td, .luna-main .q-table th {{ overflow-wrap: break-word; }}
/* A table wider than its card shows that it scrolls: a shadow on the side where more columns wait,
   which covers in the background's colour (scrolling with the content) hide at either end. */
.luna-main, .q-dialog {{ --luna-cover: #FFFFFF; }}
.luna-main .q-table__middle, .luna-answer-md {{
  background:
    linear-gradient(to right, var(--luna-cover) 30%, transparent) left center / 2.5rem 100% no-repeat local,
    linear-gradient(to left, var(--luna-cover) 30%, transparent) right center / 2.5rem 100% no-repeat local,
    radial-gradient(farthest-side at 0 50%, rgba(15, 23, 42, 0.22), transparent) left center / 0.9rem 100%
      no-repeat scroll,
    radial-gradient(farthest-side at 100% 50%, rgba(15, 23, 42, 0.22), transparent) right center / 0.9rem 100%
      no-repeat scroll;
}}
.luna-card-title {{ font-size: 1.05rem; font-weight: 600; color: {PRIMARY}; }}
.luna-figure {{ font-size: 1.6rem; font-weight: 600; line-height: 1.2; color: {TEXT}; }}
.luna-citation {{ cursor: pointer; border-left: 4px solid {SECONDARY}; }}
.luna-citation:hover {{ box-shadow: 0 2px 8px rgba(11, 79, 108, 0.25); }}
.luna-answer {{ white-space: pre-wrap; line-height: 1.55; }}
.luna-drawer-link {{ justify-content: flex-start; width: 100%; padding: 0.75em 1em; color: {TEXT}; }}
.luna-drawer-link.luna-nav-active {{ background: #E0F2FE; box-shadow: inset 4px 0 0 {ACCENT}; }}
.luna-answer-md {{ line-height: 1.55; overflow-x: auto; max-width: 100%; }}
.luna-answer-md p {{ margin: 0 0 0.6em 0; }}
.luna-answer-md table {{ border-collapse: collapse; margin: 0.4em 0; font-size: 0.92rem; }}
.luna-answer-md th, .luna-answer-md td {{ border: 1px solid #CBD5E1; padding: 0.25em 0.6em; }}
/* A quoted table's words break at German syllables (the page is lang="de"), never after any letter
   ("Grun|dprei|s" on a phone); a table still too wide scrolls inside the answer. */
.luna-answer-md th, .luna-answer-md td {{ overflow-wrap: break-word; hyphens: auto; }}
.luna-answer-md th {{ background: #F1F5F9; }}
a.luna-mark {{ color: {PRIMARY}; font-weight: 600; text-decoration: none; padding: 0 1px; }}
a.luna-mark:hover, a.luna-mark:focus-visible {{ text-decoration: underline; }}
.luna-question {{ background: {PRIMARY}; color: #FFFFFF; border-radius: 12px 12px 2px 12px;
  padding: 0.5em 0.9em; max-width: min(42rem, 90%); white-space: pre-wrap; }}
/* The question field takes the width beside its button; on a phone the button goes under it. */
.luna-ask-row {{ display: flex; gap: 0.75rem; align-items: flex-start; width: 100%; }}
.luna-ask-row > .q-field {{ flex: 1 1 auto; min-width: 0; }}
@media (max-width: 599.98px) {{ .luna-ask-row {{ flex-direction: column; align-items: stretch; }} }}
.luna-cited-passage {{ background: #FEF3C7; border-left: 4px solid {ACCENT}; --luna-cover: #FEF3C7; }}
"""


def apply_theme() -> None:
    """Colours and styles of the current page (called by the page frame, once per page)."""
    ui.colors(
        primary=PRIMARY,
        secondary=SECONDARY,
        accent=ACCENT,
        positive=POSITIVE,
        negative=NEGATIVE,
        warning=WARNING,
        info=INFO,
        dark=TEXT,
    )
    ui.add_css(_CSS)
