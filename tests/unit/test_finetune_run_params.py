"""Which template and which run a fine-tuning job may name (``services/finetune/run_params.py``).

The API refuses some of these values earlier (NUL characters, over-long bodies); the rules here hold
for every way a job is queued, ``luna jobs run`` without a server included.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from luna.domain.errors import Conflict, InvalidInput, NotFound
from luna.services.finetune.run_params import (
    find_template,
    is_run_id,
    packaged_templates,
    read_outcome,
    read_template,
    resume_folder,
    write_outcome,
)


@pytest.fixture
def own(tmp_path: Path) -> Path:
    folder = tmp_path / "finetune" / "templates"
    folder.mkdir(parents=True)
    shutil.copy(packaged_templates() / "lora.yaml", folder / "mine.yaml")
    return folder


@pytest.fixture
def configured(tmp_path: Path) -> Path:
    return tmp_path / "config" / "prod.yaml"


@pytest.mark.parametrize(
    "value",
    ["luna-answers-20261102-080000-ab12", "job-5b0f6c1e-7a2d-4c3b-9e1f-0a1b2c3d4e5f", "a", "tiny_1"],
)
def test_run_ids_are_the_folder_names_runs_get(value: str) -> None:
    assert is_run_id(value)


@pytest.mark.parametrize(
    "value", ["", "..", ".", "a/b", "a\\b", "a\u0000b", "A", "-a", "a.b", "a b", "a\n", "x" * 201, 5, None]
)
def test_anything_else_is_no_run_id(value: object) -> None:
    assert not is_run_id(value)


def test_a_resume_names_only_a_run_folder_directly_under_runs(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    (runs / "tiny-1").mkdir(parents=True)
    (runs / "tiny-1" / "config.json").write_text("{}", encoding="utf-8")
    (tmp_path / "config.json").write_text("{}", encoding="utf-8")  # what ".." would find

    assert resume_folder(runs, "tiny-1") == runs / "tiny-1"
    for resume in ("..", "tiny-2", "a\u0000b", "x" * 5_000):
        with pytest.raises(NotFound):
            resume_folder(runs, resume)


def test_a_run_registered_already_is_not_resumed_a_stopped_or_failed_one_is(tmp_path: Path) -> None:
    """Resumed, a finished run registered itself again: tiny@v3 with the run ID of tiny@v1."""
    runs = tmp_path / "runs"
    (runs / "tiny-1").mkdir(parents=True)
    (runs / "tiny-1" / "config.json").write_text("{}", encoding="utf-8")

    assert read_outcome(runs / "tiny-1") is None  # running, or its process died: resumable
    for state, details in (("stopped", {"steps": 299, "reason": "abgebrochen"}), ("failed", {"error": "x"})):
        write_outcome(runs / "tiny-1", state, **details)
        assert resume_folder(runs, "tiny-1") == runs / "tiny-1"
        assert read_outcome(runs / "tiny-1") == {"state": state, **details}
    write_outcome(runs / "tiny-1", "registered", label="tiny@v1")
    with pytest.raises(Conflict, match="Run tiny-1 is finished: registered as tiny@v1"):
        resume_folder(runs, "tiny-1")


@pytest.mark.parametrize(
    ("config", "expected"),
    [("mine", "{own}/mine.yaml"), ("mine.yaml", "{own}/mine.yaml"), ("lora", "{packaged}/lora.yaml")],
)
def test_a_bare_name_is_looked_up_in_the_own_folder_then_among_the_packaged_ones(
    own: Path, configured: Path, config: str, expected: str
) -> None:
    found = find_template(config, own, configured)

    assert found == Path(expected.format(own=own.resolve(), packaged=packaged_templates().resolve()))


def test_an_own_template_replaces_a_packaged_one_of_the_same_name(own: Path, configured: Path) -> None:
    shutil.copy(own / "mine.yaml", own / "lora.yaml")

    assert find_template("lora", own, configured) == (own / "lora.yaml").resolve()


@pytest.mark.parametrize(
    "config",
    ["a\u0000b", "{own}/a\u0000b.yaml", "x" * 1_001, "", "/etc/shadow", "{own}/../../secrets.yaml", "{own}"],
)
def test_names_and_paths_outside_the_folders_are_refused_without_reading_them(
    own: Path, configured: Path, config: str
) -> None:
    with pytest.raises(InvalidInput, match="config must name a fine-tuning template"):
        find_template(config.format(own=own), own, configured)


def test_the_configured_template_is_allowed_but_not_its_neighbours(own: Path, configured: Path) -> None:
    configured.parent.mkdir()
    configured.write_text("name: x\n", encoding="utf-8")
    (configured.parent / "server.yaml").write_text("auth: {}\n", encoding="utf-8")

    assert find_template(str(configured), own, configured) == configured.resolve()
    with pytest.raises(InvalidInput):
        find_template(str(configured.parent / "server.yaml"), own, configured)


def test_a_template_that_cannot_be_read_is_a_400_not_a_crash(own: Path) -> None:
    with pytest.raises(InvalidInput, match="cannot be read"):
        read_template(own / ("y" * 300 + ".yaml"))
    (own / "latin1.yaml").write_bytes(b"name: \xe4\n")
    with pytest.raises(InvalidInput, match="cannot be read"):
        read_template(own / "latin1.yaml")
    with pytest.raises(NotFound, match="template not found"):
        read_template(own / "absent.yaml")
    with pytest.raises(InvalidInput, match="is a folder, not a YAML file"):
        read_template(own)
