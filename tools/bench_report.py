"""Measure the project's own speed and write a report (Markdown) to _build/bench.md.

    make bench            (or: python -m tools.bench_report [--skip-make-test])

Measured in one run, on this machine:

* the floor: starting one kernel (the one nbval and `make refresh` use), importing
  TensorFlow in it and shutting it down, sampled once before each notebook; the median is
  charged per notebook;
* each notebook's execution time, top to bottom in a fresh kernel that is shut down at the
  end (as `make refresh` runs it); its own compute is that time minus the floor;
* the wall time of a warm `make test` (the median of three runs) and of `make book`;
* the rnn_lib benchmark (benchmarks/bench_extract.py): last_valid_step against a loop and a
  bare tf.gather.

Targets: `make test` within 1.5x of (floor + the notebooks' own compute); every notebook at
most 20 s; `make book` at most 15 s. The report says which are met. Exit status 0 either way:
this is a report, not a test.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rnn_lib.runtime import QUIET_ENVIRONMENT
from tools.notebooks import ROOT, notebook_paths, refresh

NOTEBOOK_TARGET_S = 20.0
BOOK_TARGET_S = 15.0
TEST_FACTOR = 1.5
TEST_RUNS = 3


# What every notebook does before its own work: the environment rnn_lib sets, then TensorFlow.
FLOOR_CODE = f"""
import os
for name, value in {dict(QUIET_ENVIRONMENT)!r}.items():
    os.environ.setdefault(name, value)
import tensorflow
"""


def kernel_floor_seconds() -> float:
    """Start one kernel of the kind nbval uses, import TensorFlow in it, shut it down.

    Timed up to the kernel's exit, as ``notebook_seconds`` times refresh (which returns
    once its kernel is shut down), so that no kernel is alive during the next sample.
    """
    from jupyter_client import KernelManager
    from nbval.kernel import CURRENT_ENV_KERNEL_NAME, NbvalKernelspecManager

    start = time.perf_counter()
    manager = KernelManager(
        kernel_name=CURRENT_ENV_KERNEL_NAME, kernel_spec_manager=NbvalKernelspecManager()
    )
    manager.start_kernel(cwd=str(ROOT / "notebooks"))
    try:
        client = manager.client()
        client.start_channels()
        try:
            client.wait_for_ready(timeout=120)
            reply = client.execute_interactive(
                FLOOR_CODE, timeout=300, output_hook=lambda message: None
            )
        finally:
            client.stop_channels()
    finally:
        # Killed and reaped, as refresh and nbval do, also when the lines above raise: no
        # kernel outlives its sample to slow down the next measurement.
        manager.shutdown_kernel(now=True)
    seconds = time.perf_counter() - start
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"the floor kernel failed: {reply['content']}")
    return seconds


def notebook_seconds(path: Path) -> float:
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / path.name
        shutil.copy(path, copy)
        start = time.perf_counter()
        refresh(copy)
        return time.perf_counter() - start


def command_seconds(command: list[str]) -> tuple[float, int, str]:
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    return time.perf_counter() - start, result.returncode, result.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skip-make-test", action="store_true", help="do not time make test")
    args = parser.parse_args(argv)
    notebooks = notebook_paths()

    # One floor sample before each notebook, interleaved so that both see the same machine.
    # A single sample varies by a second or more, so every notebook is charged the median.
    samples, executions = [], []
    for path in notebooks:
        samples.append(kernel_floor_seconds())
        executions.append(notebook_seconds(path))
        print(
            f"measured {path.name}: floor sample {samples[-1]:.1f} s, "
            f"execution {executions[-1]:.1f} s",
            flush=True,
        )
    floor = statistics.median(samples)
    rows = [(path.name, floor, total) for path, total in zip(notebooks, executions, strict=True)]
    floor_total = floor * len(rows)
    compute_total = sum(max(total - floor, 0.0) for _, floor, total in rows)

    book_s, book_rc, _ = command_seconds(["make", "--no-print-directory", "book"])
    _, bench_rc, bench_out = command_seconds([sys.executable, "benchmarks/bench_extract.py"])
    test_runs: list[float] = []
    test_rc = 0
    if not args.skip_make_test:
        command_seconds(["make", "--no-print-directory", "test"])  # warm-up: caches, .pyc
        for _ in range(TEST_RUNS):
            seconds, returncode, output = command_seconds(["make", "--no-print-directory", "test"])
            test_runs.append(seconds)
            test_rc = test_rc or returncode
            print(f"measured make test: {seconds:.1f} s (exit {returncode})", flush=True)
            if returncode:  # keep what failed: a flaky test must be findable afterwards
                failed = ROOT / "_build" / f"bench_make_test_{len(test_runs)}.log"
                failed.write_text(output)
                print(f"  its output: {failed.relative_to(ROOT)}", flush=True)
    # This machine's speed drifts by several seconds between runs: the median of three.
    test_s = statistics.median(test_runs) if test_runs else float("nan")

    budget = TEST_FACTOR * (floor_total + compute_total)
    lines = [
        "# Benchmark report",
        "",
        "Measured by `make bench` (python -m tools.bench_report) in one run on this machine.",
        "",
        "## Notebooks",
        "",
        f"Floor: starting one kernel and importing TensorFlow in it, the median of "
        f"{len(samples)} samples ({', '.join(f'{sample:.1f}' for sample in samples)} s), "
        "charged once per notebook. A notebook's own compute is its execution time "
        "(top to bottom in a fresh kernel) minus the floor.",
        "",
        "| notebook | floor (s) | execution (s) | own compute (s) | <= 20 s |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for name, floor, total in rows:
        ok = "yes" if total <= NOTEBOOK_TARGET_S else "**no**"
        lines.append(f"| {name} | {floor:.1f} | {total:.1f} | {max(total - floor, 0):.1f} | {ok} |")
    lines.append(
        f"| **all** | {floor_total:.1f} | {sum(t for *_, t in rows):.1f} | {compute_total:.1f} | |"
    )
    test_ok = test_s <= budget and test_rc == 0
    lines += [
        "",
        "## Commands",
        "",
        "| what | wall time (s) | target | met |",
        "| --- | ---: | --- | --- |",
        f"| `make test` (warm, median of {', '.join(f'{run:.1f}' for run in test_runs)}; "
        f"exit {test_rc}) | {test_s:.1f} | <= {TEST_FACTOR} x (floor + "
        f"compute) = {budget:.1f} | {'yes' if test_ok else '**no**'} |",
        f"| `make book` (exit {book_rc}) | {book_s:.1f} | <= {BOOK_TARGET_S:.0f} | "
        f"{'yes' if book_s <= BOOK_TARGET_S else '**no**'} |",
        "",
        "## rnn_lib benchmark",
        "",
        "```",
        bench_out.strip() or f"(exit {bench_rc})",
        "```",
        "",
    ]
    report = "\n".join(lines)
    (ROOT / "_build").mkdir(exist_ok=True)
    (ROOT / "_build" / "bench.md").write_text(report)
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
