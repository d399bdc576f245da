"""Hardware detection on the machine the tests run on."""

from __future__ import annotations

from smallcoder.models.hardware import GPU, Hardware, detect_hardware, measure_cpu_bandwidth


def test_this_machine_has_memory_cores_and_a_measurable_bandwidth() -> None:
    hw = detect_hardware()
    assert hw.ram_total >= hw.ram_available > 0 and hw.threads >= 1 and hw.cores >= 1
    assert all(g.free_bytes <= g.total_bytes for g in hw.gpus)
    bandwidth = measure_cpu_bandwidth(size_bytes=8 << 20, repeats=2)
    assert bandwidth is not None and bandwidth > 1e8  # even a busy machine copies 100 MB/s


def test_the_main_gpu_is_the_one_with_most_free_memory_not_the_sum() -> None:
    hw = Hardware(platform="Linux", cpu="x", cores=8, threads=16, cpu_flags=(), ram_total=1, ram_available=1,
                  gpus=(GPU(0, "A", 24 << 30, 2 << 30), GPU(1, "B", 12 << 30, 11 << 30)))
    best = hw.best_gpu()
    assert best is not None and best.index == 1 and best.free_bytes == 11 << 30
