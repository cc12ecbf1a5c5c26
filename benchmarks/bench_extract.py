"""Benchmark rnn_lib.last_valid_step on a large padded sequence output.

    make bench          (or: python benchmarks/bench_extract.py [--repeats N])

Compares, on outputs of shape (4096, 200, 64) float32 and random lengths:

* rnn_lib.last_valid_step(outputs, lengths=...)  the helper, with its input checks
* a per-row Python loop                           outputs[row, length - 1] for each row
* one bare tf.gather(..., batch_dims=1)           the floor: the same inputs
                                                  (tensor outputs, NumPy lengths),
                                                  no checks at all
* keras.ops.take_along_axis                       the backend-neutral Keras op
                                                  that gives the same result

and prints each median and the ratios. Targets: at least 10x faster than
the loop, and within 1.5x of the bare gather. Exits 1 if a target is missed.
This is a report, not a timed test: `make test` does not run it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np

import rnn_lib

tf = rnn_lib.import_tensorflow_quietly()
from keras import ops  # noqa: E402  (after the quiet TensorFlow import)

BATCH, TIME, UNITS = 4096, 200, 64
LOOP_TARGET = 10.0  # the helper must be at least this many times faster than the loop
GATHER_TARGET = 1.5  # and at most this many times slower than a bare tf.gather


def _seconds(function: Callable[[], object]) -> float:
    start = time.perf_counter()
    result = function()
    if hasattr(result, "numpy"):
        result.numpy()  # make sure the work is done, not just scheduled
    return time.perf_counter() - start


def median_seconds(functions: list[Callable[[], object]], repeats: int) -> list[float]:
    """Median time of each function, runs interleaved so that drift hits all alike."""
    for function in functions:
        function()  # warm-up: tracing, allocation
    times: list[list[float]] = [[] for _ in functions]
    for _ in range(repeats):
        for function, samples in zip(functions, times, strict=True):
            samples.append(_seconds(function))
    return [statistics.median(samples) for samples in times]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=300, help="timed runs per variant")
    args = parser.parse_args(argv)

    rng = np.random.default_rng(0)
    outputs = tf.constant(rng.normal(size=(BATCH, TIME, UNITS)).astype("float32"))
    lengths = rng.integers(1, TIME + 1, size=BATCH)  # NumPy, as a user would have them

    def helper():
        return rnn_lib.last_valid_step(outputs, lengths=lengths)

    def loop():
        return tf.stack([outputs[row, length - 1] for row, length in enumerate(lengths)])

    def bare_gather():
        return tf.gather(outputs, lengths - 1, axis=1, batch_dims=1)

    def take_along_axis():
        indices = (lengths - 1).reshape(BATCH, 1, 1)  # (batch, 1, 1)
        return ops.take_along_axis(outputs, indices, axis=1)[:, 0]

    reference = bare_gather().numpy()
    assert np.array_equal(helper().numpy(), reference)
    assert np.array_equal(loop().numpy(), reference)
    assert np.array_equal(np.asarray(take_along_axis()), reference)

    helper_s, gather_s = median_seconds([helper, bare_gather], args.repeats)
    loop_s, along_s = median_seconds([loop, take_along_axis], max(3, args.repeats // 100))
    loop_ratio = loop_s / helper_s
    gather_ratio = helper_s / gather_s

    print(f"last_valid_step on ({BATCH}, {TIME}, {UNITS}) float32, median of runs")
    print(f"  rnn_lib.last_valid_step   {helper_s * 1e3:9.3f} ms")
    print(f"  bare tf.gather            {gather_s * 1e3:9.3f} ms")
    print(f"  per-row Python loop       {loop_s * 1e3:9.3f} ms")
    print(f"  keras.ops.take_along_axis {along_s * 1e3:9.3f} ms")
    print(f"  loop / helper   = {loop_ratio:7.1f}x   (target >= {LOOP_TARGET:.0f}x)")
    print(f"  helper / gather = {gather_ratio:7.2f}x   (target <= {GATHER_TARGET}x)")
    print(f"  take_along_axis / helper = {along_s / helper_s:7.1f}x   (no target)")
    ok = loop_ratio >= LOOP_TARGET and gather_ratio <= GATHER_TARGET
    print("targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
