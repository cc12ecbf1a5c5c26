"""Run the nbval suite repeatedly and under changed conditions; report every run.

    make reliability      (or: python -m tools.reliability [--repeats 5])

Runs strict nbval on every notebook:

* ``--repeats`` times in a row, as ``make test`` does;
* once with ``TF_ENABLE_ONEDNN_OPTS=1`` (oneDNN's own float round-off);
* once with the network cut (``unshare -n``), proving no notebook needs it;

then runs every chapter in a real JupyterLab through its UI (tools/lab_check.py), showing
each chapter's time. Prints one line per run and exits 1 if any run failed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time

from tools.notebooks import ROOT, notebook_paths


def nbval_command() -> list[str]:
    notebooks = [str(path.relative_to(ROOT)) for path in notebook_paths()]
    return [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
            "--nbval", "--nbval-current-env", *notebooks]  # fmt: skip


# A new network namespace starts with its loopback down; Jupyter kernels talk to their client
# over TCP on 127.0.0.1, so bring it up. Nothing else is reachable inside.
_LOOPBACK_UP = ["sh", "-c", 'ip link set lo up && exec "$@"', "sh"]


def network_cut_prefix() -> list[str] | None:
    """``unshare -n`` with loopback up (no other network), if this machine allows it."""
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return None
    probe = subprocess.run(["unshare", "-n", *_LOOPBACK_UP, "true"], capture_output=True)
    return ["unshare", "-n", *_LOOPBACK_UP] if probe.returncode == 0 else None


#: Seconds pytest gets to stop, as on Ctrl-C, after a timeout before it is killed.
INTERRUPT_GRACE_S = 30


def run(
    label: str,
    command: list[str],
    extra_env: dict[str, str] | None = None,
    timeout: int = 900,
    show_output: bool = False,
) -> bool:
    env = {**os.environ, **(extra_env or {})}
    start = time.perf_counter()
    # Not subprocess.run(timeout=...): that kills pytest alone, and the notebook kernel nbval
    # started (in a session of its own) outlives it. An interrupt stops pytest as Ctrl-C
    # does, nbval shutting its kernel down; it is killed only if it does not stop in time.
    with subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGINT)
            try:
                process.communicate(timeout=INTERRUPT_GRACE_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()
            print(f"FAIL {label:<34} timed out after {timeout} s", flush=True)
            return False
    result = subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
    seconds = time.perf_counter() - start
    summary = (result.stdout.strip().splitlines() or ["(no output)"])[-1]
    status = "ok  " if result.returncode == 0 else "FAIL"
    print(f"{status} {label:<34} {seconds:6.1f} s   {summary}", flush=True)
    if result.returncode != 0:
        print(result.stdout[-3000:], result.stderr[-2000:], sep="\n", flush=True)
    elif show_output:
        print(result.stdout, end="", flush=True)
    return result.returncode == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="plain runs in a row (default 5)")
    args = parser.parse_args(argv)
    command = nbval_command()
    results = [run(f"run {i} of {args.repeats}", command) for i in range(1, args.repeats + 1)]
    results.append(run("TF_ENABLE_ONEDNN_OPTS=1", command, {"TF_ENABLE_ONEDNN_OPTS": "1"}))
    prefix = network_cut_prefix()
    if prefix is None:
        print("skip network cut: `unshare -n` is not available or not permitted here")
    else:
        results.append(run("network cut (unshare -n)", prefix + command))
    lab_check = [sys.executable, "-m", "tools.lab_check"]
    results.append(run("JupyterLab, every chapter", lab_check, timeout=1800, show_output=True))
    print(f"{sum(results)} of {len(results)} runs green")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
