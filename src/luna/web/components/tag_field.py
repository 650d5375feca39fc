"""A field for free tags (Enter after each) that loses none on a slow link."""

from __future__ import annotations

from collections.abc import Sequence

from nicegui.elements.mixins.value_element import ValueElement


class TagField(ValueElement[list[str]], component="tag_field.js"):
    """Quasar's chip select with its list kept in the browser (``tag_field.js``), instead of
    ``ui.input_chips``: that one shows the list the server echoes, so an Enter before the echo built on
    the old list and dropped a tag. ``value`` is the list the person last saw."""

    VALUE_PROP = "value"
    LOOPBACK = False  # the browser's list is the truth; echoing it back is what raced

    def __init__(self, label: str, tags: Sequence[str] = ()) -> None:
        super().__init__(value=list(tags))
        self._props["label"] = label
        self._props["for"] = self.html_id  # the label names the text input, so it is found by its label
