"""Shared benchmark output: percentiles, a JSON file and a PNG plot under bench/results/."""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"


def summarize(samples_ms: Sequence[float]) -> dict[str, float]:
    """p50/p90/p99/max/mean of latency samples in milliseconds."""
    if not samples_ms:
        return {"n": 0}
    a = np.asarray(samples_ms, dtype=float)
    return {
        "n": int(a.size),
        "p50_ms": float(np.percentile(a, 50)),
        "p90_ms": float(np.percentile(a, 90)),
        "p99_ms": float(np.percentile(a, 99)),
        "max_ms": float(a.max()),
        "mean_ms": float(a.mean()),
    }


def machine() -> dict[str, Any]:
    """What ran the benchmark (the machine is shared and noisy: ratios against the floor matter)."""
    import os

    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "loadavg": os.getloadavg(),
    }


def write_json(name: str, result: Mapping[str, Any], results_dir: Path = RESULTS) -> Path:
    """Write ``results_dir/<name>.json`` with the machine description and a timestamp."""
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / f"{name}.json"
    doc = {
        "benchmark": name,
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": machine(),
    }
    doc.update(result)
    path.write_text(json.dumps(doc, indent=2, default=str) + "\n")
    return path


def plot_distributions(
    name: str,
    series: Mapping[str, Sequence[float]],
    title: str,
    xlabel: str = "latency (ms)",
    results_dir: Path = RESULTS,
) -> Path:
    """Write ``results_dir/<name>.png``: one empirical CDF per series on a log x-axis."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    results_dir.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(8, 5))
    for label, samples in series.items():
        if not len(samples):
            continue
        a = np.sort(np.asarray(samples, dtype=float))
        a = np.maximum(a, 1e-4)
        ax.plot(a, np.arange(1, a.size + 1) / a.size, label=f"{label} (p99 {np.percentile(a, 99):.3g})")
    ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("fraction of samples ≤ x")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    path = results_dir / f"{name}.png"
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
