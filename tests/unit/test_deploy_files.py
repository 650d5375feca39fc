"""The compose files cannot be run here (no Docker engine), so their promises are checked as data."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PROD = ROOT / "deploy" / "docker-compose.yml"
DEV = ROOT / "deploy" / "docker-compose.dev.yml"
SEED_PORTS = [
    "API_PORT",
    "DB_PORT",
    "QDRANT_HTTP",
    "QDRANT_GRPC",
    "OLLAMA_PORT",
    "MINIO_API",
    "MINIO_CONSOLE",
    "TIKA_PORT",
]
VARIABLE = re.compile(r"\$\{([A-Z0-9_]+)")


def _load(path: Path) -> dict[str, Any]:
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def _env_example_names() -> set[str]:
    names = set()
    for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#") and "=" in line:
            names.add(line.split("=", 1)[0])
    return names


@pytest.fixture(scope="module")
def prod() -> dict[str, Any]:
    return _load(PROD)


def test_every_prod_service_has_a_healthcheck_limits_and_the_luna_network(prod: dict[str, Any]) -> None:
    for name, service in prod["services"].items():
        assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
        assert service["deploy"]["resources"]["limits"], f"{name} has no resource limits"
        assert service["networks"] == ["luna-net"], f"{name} is not on luna-net"
    assert "luna-net" in prod["networks"]


def test_prod_stack_has_every_server_the_server_profile_uses(prod: dict[str, Any]) -> None:
    assert {"postgres", "qdrant", "ollama", "minio", "tika", "redis", "api", "worker"} <= set(
        prod["services"]
    )
    assert "timescaledb" in prod["services"]["postgres"]["image"]


def test_named_volumes_of_the_seed_exist(prod: dict[str, Any]) -> None:
    assert {"pgdata", "qdrant", "ollama", "minio", "logs"} <= set(prod["volumes"])


def test_every_published_port_comes_from_env(prod: dict[str, Any]) -> None:
    published = []
    for name, service in prod["services"].items():
        for mapping in service.get("ports", []):
            host_part = mapping.rsplit(":", 1)[0]
            assert VARIABLE.search(host_part), f"{name} publishes a fixed port: {mapping}"
            published.extend(VARIABLE.findall(host_part))
    assert set(SEED_PORTS) <= set(published)


def test_every_variable_the_compose_files_use_is_in_env_example() -> None:
    documented = _env_example_names()
    for path in (PROD, DEV):
        used = set(VARIABLE.findall(path.read_text(encoding="utf-8")))
        assert used <= documented, f"{path.name} uses undocumented variables: {sorted(used - documented)}"
    assert set(SEED_PORTS) | {"ADMIN_API_KEY", "JWT_SECRET"} <= documented
    assert {
        "SIM_SMARTMETER_INTERVAL_SEC",
        "SIM_MARKET_INTERVAL_SEC",
        "SIM_MARKETS",
        "SIM_PRODUCTS",
    } <= documented


def test_api_and_worker_run_the_server_profile(prod: dict[str, Any]) -> None:
    for name in ("api", "worker"):
        assert prod["services"][name]["environment"]["LUNA_PROFILE"] == "server"
    assert "luna worker" in " ".join(prod["services"]["worker"]["command"])
    assert "/api/v1/system/info" in " ".join(prod["services"]["api"]["healthcheck"]["test"])


def test_api_and_workers_share_the_converted_judge_model_on_a_volume(prod: dict[str, Any]) -> None:
    """The e5-small judge's ONNX graph (under ``<data_dir>/models``, ``LUNA_DATA_DIR=/data`` in the
    image) is converted once, not again in every container after each restart."""
    dockerfile = (PROD.parent / "Dockerfile").read_text(encoding="utf-8")
    assert "LUNA_DATA_DIR=/data" in dockerfile
    # A new named volume takes the mount point's owner from the image: it must exist and be luna's.
    assert "mkdir -p /data/models && chown -R luna /data" in dockerfile
    assert dockerfile.index("chown -R luna /data") < dockerfile.index("USER luna")
    for name in ("api", "worker"):
        assert "models:/data/models" in prod["services"][name]["volumes"], name
    assert "models" in prod["volumes"]


def test_dev_override_bind_mounts_the_source_and_reloads() -> None:
    dev = _load(DEV)
    api = dev["services"]["api"]
    assert any(volume.startswith("../src:") for volume in api["volumes"])
    assert "--reload" in " ".join(api["command"])
    assert set(dev["services"]) <= set(_load(PROD)["services"]), "the dev file only overrides prod services"
