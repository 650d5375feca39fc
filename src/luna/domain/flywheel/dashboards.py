"""What pushing a Grafana dashboard did, as the publisher reports it and `luna grafana sync` shows it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: ``created`` when Grafana stored the dashboard's first version, ``updated`` when it replaced one.
PublishStatus = Literal["created", "updated"]


@dataclass(frozen=True, slots=True)
class PublishedDashboard:
    uid: str
    title: str
    status: PublishStatus
    #: Grafana's version counter of the dashboard after this push (1 for a new one).
    version: int
    #: Where an operator opens it.
    url: str
