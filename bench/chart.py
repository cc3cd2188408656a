"""The preview chart: AWS calls per preview against the organization's size.

matplotlib is needed only here (``bench/requirements.txt``); it is imported
when a chart is drawn, so the rest of the benchmark runs without it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def draw_preview_calls(rows: list[dict[str, Any]], path: Path) -> Path:
    """Plot ``preview.scaling`` rows (guard calls, and naive calls when present) to ``path``."""
    import matplotlib

    matplotlib.use("Agg")  # no display: write the file only
    import matplotlib.pyplot as plt

    sizes = [row["attachments"] for row in rows]
    removed, targets = rows[0]["removed"], rows[0]["targets"]
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=120)
    ax.plot(sizes, [row["guard"] for row in rows], marker="o", linewidth=2,
            label=f"plan-time guard: one ListPoliciesForTarget per affected target (T={targets})")
    if all("naive" in row for row in rows):
        ax.plot(sizes, [row["naive"] for row in rows], marker="s", linestyle="--", color="grey",
                label="naive: one ListPoliciesForTarget per declared attachment")
    ax.set_yscale("log")
    ax.set_xlabel("SCP attachments in the organization (5 per target)")
    ax.set_ylabel("AWS calls per preview (log scale)")
    ax.set_title(f"Preview removing {removed} attachments over {targets} targets")
    ax.set_xticks(sizes)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    for size, row in zip(sizes, rows, strict=True):
        ax.annotate(str(row["guard"]), (size, row["guard"]), textcoords="offset points",
                    xytext=(0, 6), ha="center", fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def draw_engine_times(rows: list[dict[str, Any]], path: Path) -> Path:
    """Plot ``engine.measure`` rows: seconds against N, ours and the floor, per step."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [row["attachments"] for row in rows]
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=120)
    for step, color in (("up", "tab:blue"), ("preview_new", "tab:orange"),
                        ("preview_same", "tab:green"), ("preview_removals", "tab:red")):
        ax.plot(sizes, [row["ours_s"][step] for row in rows], marker="o", color=color,
                label=f"{step}: PolicyAttachment")
        ax.plot(sizes, [row["floor_s"][step] for row in rows], marker="s", linestyle="--",
                color=color, alpha=0.6, label=f"{step}: no-op dynamic resource (floor)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(sizes, [str(size) for size in sizes])
    ax.set_xlabel("attachments in the stack (N)")
    ax.set_ylabel("wall time through the Pulumi CLI, s (log)")
    ax.set_title("Whole-stack time against the floor of Python dynamic providers")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
