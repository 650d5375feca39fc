"""Lineage as OpenLineage run events (START, COMPLETE, FAIL) for Marquez or any OpenLineage backend.

Built with the official client's event model (``openlineage-python``), so the events follow the spec;
posted through Luna's webhook sender to ``<datasets.openlineage_url>/api/v1/lineage``. Export is a copy:
the lineage of record is in SQL, so an unreachable backend is logged and never fails a run.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Final

import structlog
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import dataset_version_dataset, error_message_run
from openlineage.client.serde import Serde

from luna.domain.datasets.versions import DatasetRun, DatasetVersion, LineageEdge
from luna.domain.errors import Unavailable
from luna.ports.webhooks import WebhookSender

log = structlog.stdlib.get_logger("luna.datasets")
PRODUCER: Final = "https://github.com/luna-iems/luna/datasets"


class LineageExport:
    def __init__(self, sender: WebhookSender, url: str | None, namespace: str) -> None:
        self._sender = sender
        self._endpoint = f"{url.rstrip('/')}/api/v1/lineage" if url else None
        self._namespace = namespace

    def started(self, run: DatasetRun) -> None:
        self._send(self._event(RunState.START, run))

    def completed(self, run: DatasetRun, version: DatasetVersion, edges: Sequence[LineageEdge]) -> None:
        inputs = [InputDataset(namespace=self._namespace, name=edge.input_ref) for edge in edges]
        facet = dataset_version_dataset.DatasetVersionDatasetFacet(datasetVersion=str(version.number))
        output = OutputDataset(namespace=self._namespace, name=version.dataset, facets={"version": facet})
        self._send(self._event(RunState.COMPLETE, run, inputs=inputs, outputs=[output]))

    def failed(self, run: DatasetRun, error: str) -> None:
        facet = error_message_run.ErrorMessageRunFacet(message=error, programmingLanguage="python")
        self._send(self._event(RunState.FAIL, run, run_facets={"errorMessage": facet}))

    def _event(
        self,
        state: RunState,
        run: DatasetRun,
        *,
        inputs: list[InputDataset] | None = None,
        outputs: list[OutputDataset] | None = None,
        run_facets: dict[str, Any] | None = None,
    ) -> RunEvent:
        return RunEvent(
            eventType=state,
            eventTime=datetime.now(UTC).isoformat(),
            run=Run(runId=run.run_id, facets=run_facets or {}),
            job=Job(namespace=self._namespace, name=run.pipeline),
            producer=PRODUCER,
            inputs=inputs or [],
            outputs=outputs or [],
        )

    def _send(self, event: RunEvent) -> None:
        if self._endpoint is None:
            return
        try:
            self._sender.post(self._endpoint, Serde.to_dict(event))
        except Unavailable as error:
            log.warning("openlineage_export_failed", endpoint=self._endpoint, error=str(error))
