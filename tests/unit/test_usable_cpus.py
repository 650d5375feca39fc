"""ONNX Runtime's thread count follows the CPUs a container may use, not the host's count."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from luna.adapters.models.onnx_e5 import usable_cpus

AFFINITY = len(os.sched_getaffinity(0))


def cpu_max(tmp_path: Path, content: str) -> Path:
    path = tmp_path / "cpu.max"
    path.write_text(content, encoding="ascii")
    return path


def test_a_containers_cpu_quota_caps_the_threads(tmp_path: Path) -> None:
    assert usable_cpus(cpu_max(tmp_path, "100000 100000\n")) == 1


def test_a_fractional_quota_rounds_up(tmp_path: Path) -> None:
    assert usable_cpus(cpu_max(tmp_path, "50000 100000\n")) == 1
    assert usable_cpus(cpu_max(tmp_path, "150000 100000\n")) == min(AFFINITY, 2)


@pytest.mark.parametrize("content", ["max 100000\n", "garbage", ""])
def test_no_quota_or_an_unreadable_one_leaves_the_affinity(tmp_path: Path, content: str) -> None:
    assert usable_cpus(cpu_max(tmp_path, content)) == AFFINITY


def test_without_cgroup_v2_the_affinity_counts(tmp_path: Path) -> None:
    assert usable_cpus(tmp_path / "absent") == AFFINITY
