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


def cgroup_v1(tmp_path: Path, quota: str, period: str = "100000") -> Path:
    folder = tmp_path / "cpu"
    folder.mkdir()
    (folder / "cpu.cfs_quota_us").write_text(quota, encoding="ascii")
    (folder / "cpu.cfs_period_us").write_text(period, encoding="ascii")
    return folder


def test_a_containers_cpu_quota_caps_the_threads(tmp_path: Path) -> None:
    assert usable_cpus(cpu_max(tmp_path, "100000 100000\n"), tmp_path / "absent-v1") == 1


def test_a_fractional_quota_rounds_up(tmp_path: Path) -> None:
    assert usable_cpus(cpu_max(tmp_path, "50000 100000\n"), tmp_path / "absent-v1") == 1
    assert usable_cpus(cpu_max(tmp_path, "150000 100000\n"), tmp_path / "absent-v1") == min(AFFINITY, 2)


@pytest.mark.parametrize("content", ["max 100000\n", "garbage", ""])
def test_no_quota_or_an_unreadable_one_leaves_the_affinity(tmp_path: Path, content: str) -> None:
    assert usable_cpus(cpu_max(tmp_path, content), tmp_path / "absent-v1") == AFFINITY


def test_without_a_cgroup_the_affinity_counts(tmp_path: Path) -> None:
    assert usable_cpus(tmp_path / "absent", tmp_path / "absent-v1") == AFFINITY


def test_a_cgroup_v1_quota_caps_the_threads_where_v2_is_absent(tmp_path: Path) -> None:
    assert usable_cpus(tmp_path / "absent", cgroup_v1(tmp_path, "100000\n")) == 1


def test_a_cgroup_v1_without_quota_leaves_the_affinity(tmp_path: Path) -> None:
    assert usable_cpus(tmp_path / "absent", cgroup_v1(tmp_path, "-1\n")) == AFFINITY


def test_without_an_affinity_call_the_cpu_count_stands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delattr(os, "sched_getaffinity")

    assert usable_cpus(tmp_path / "absent", tmp_path / "absent-v1") == (os.cpu_count() or 1)
