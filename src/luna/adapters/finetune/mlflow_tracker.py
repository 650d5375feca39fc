"""Experiment tracking in MLflow: a SQLite store under the data folder by default, a server when set.

MLflow's file store refuses new runs since 3.x ("maintenance mode"), so the local default is
``sqlite:///<data_dir>/mlflow/mlflow.db`` with artifacts beside it. The client API is used (not the
fluent one) so that no global "active run" is shared between threads of one worker.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from luna.adapters.finetune.frameworks import framework

EXPERIMENT = "luna-finetune"


class MlflowTracker:
    def __init__(self, tracking_uri: str, artifact_root: Path) -> None:
        self._uri = tracking_uri
        self._artifacts = artifact_root
        self._client: Any = None
        self._run_id: str | None = None

    def start(self, run_name: str, params: Mapping[str, Any], tags: Mapping[str, str]) -> str:
        client = self._connected()
        experiment = client.get_experiment_by_name(EXPERIMENT)
        experiment_id = (
            experiment.experiment_id
            if experiment is not None
            else client.create_experiment(EXPERIMENT, artifact_location=self._artifacts.resolve().as_uri())
        )
        run = client.create_run(experiment_id, run_name=run_name, tags=dict(tags))
        self._run_id = str(run.info.run_id)
        entities = framework("mlflow.entities")
        client.log_batch(self._run_id, params=[entities.Param(k, str(v)[:6000]) for k, v in params.items()])
        return self._run_id

    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        if self._run_id is None:
            return
        entities = framework("mlflow.entities")
        now = int(time.time() * 1000)
        batch = [entities.Metric(k, float(v), now, step or 0) for k, v in metrics.items()]
        self._connected().log_batch(self._run_id, metrics=batch)

    def log_artifacts(self, folder: Path, artifact_path: str) -> None:
        if self._run_id is not None:
            self._connected().log_artifacts(self._run_id, str(folder), artifact_path)

    def finish(self, status: str) -> None:
        if self._run_id is not None:
            self._connected().set_terminated(self._run_id, status)

    def set_alias(self, model_name: str, alias: str, run_id: str, version_tag: str) -> None:
        client = self._connected()
        try:
            client.get_registered_model(model_name)
        except Exception:  # MLflow raises its own "not found" type; any other error recurs below
            client.create_registered_model(model_name)
        found = client.search_model_versions(f"name='{model_name}' and tag.luna_version='{version_tag}'")
        version = (
            found[0].version
            if found
            else client.create_model_version(
                model_name, f"runs:/{run_id}/adapter", run_id=run_id, tags={"luna_version": version_tag}
            ).version
        )
        client.set_registered_model_alias(model_name, alias, version)

    def remove_alias(self, model_name: str, alias: str) -> None:
        client = self._connected()
        try:
            client.delete_registered_model_alias(model_name, alias)
        except Exception:  # MLflow's "no such model or alias": nothing held it
            return

    def _connected(self) -> Any:
        if self._client is None:
            self._client = framework("mlflow").MlflowClient(tracking_uri=self._uri)
        return self._client


class NoTracking:
    """``finetune.tracking: false``: runs are still registered in Luna, just not sent to MLflow."""

    def start(self, run_name: str, params: Mapping[str, Any], tags: Mapping[str, str]) -> str:
        return ""

    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        return None

    def log_artifacts(self, folder: Path, artifact_path: str) -> None:
        return None

    def finish(self, status: str) -> None:
        return None

    def set_alias(self, model_name: str, alias: str, run_id: str, version_tag: str) -> None:
        return None

    def remove_alias(self, model_name: str, alias: str) -> None:
        return None
