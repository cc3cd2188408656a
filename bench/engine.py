"""Whole stacks through the real Pulumi CLI, against the floor of the mechanism.

For N attachments (4 per target, from a pool of 8 SCPs, so T = N/4 targets and
P = 8 policies) an endpoint in a process of its own serves a generated
organization, and two generated Pulumi projects, run the way a user runs one
(``pulumi preview`` / ``pulumi up`` in the project folder: the CLI, Pulumi's Python
language host, the project's virtualenv), declare the same N (target, policy)
pairs, read from ``pairs.json`` in their folder: ``ours`` as
:class:`provider.PolicyAttachment` (guard hooks, AWS calls), the ``floor`` as
:class:`bench.noop.NoopAttachment` (no hook, no call). Each runs, in order:

* ``preview_new``: a preview of N new attachments (nothing in state yet);
* ``up``: creating them;
* ``preview_same``: an unchanged preview;
* ``preview_removals``: a preview with 10% of them removed (spread over the
  targets; every target keeps FullAWSAccess, so the guard passes).

Wall time of each (previews: the median of ``repeats`` runs, the two kinds
alternating, ours then the floor, so that both see the same machine load; each
run is a new engine, language host, program and provider process, so runs are
alike), the ratio ours / floor, and the AWS calls of each of our steps by
operation, counted at the endpoint.
"""

from __future__ import annotations

import json
import math
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from harness.cli import Project, require_cli

from .org import OrgShape, all_targets, serving_apart

PER_TARGET = 4  # FullAWSAccess takes the fifth slot
POLICY_POOL = 8
REMOVED_SHARE = 0.1
STEPS = ("preview_new", "up", "preview_same", "preview_removals")
PAIRS_FILE = "pairs.json"
STACK = "bench"

#: ``__main__.py`` of the two projects: the same pairs, our resource or the no-op one.
PROGRAMS = {
    "ours": '''"""N PolicyAttachments, one per (target, policy) pair in pairs.json."""

import json
from pathlib import Path

import provider

provider.register_guard()
for target, policy in json.loads((Path(__file__).parent / "pairs.json").read_text()):
    provider.PolicyAttachment(f"{target}/{policy}", policy_id=policy, target_id=target)
''',
    "floor": '''"""N no-op dynamic resources, one per (target, policy) pair in pairs.json."""

import json
from pathlib import Path

from bench.noop import NoopAttachment

for target, policy in json.loads((Path(__file__).parent / "pairs.json").read_text()):
    NoopAttachment(f"{target}/{policy}", policy_id=policy, target_id=target)
''',
}


def pairs_for(ids: dict[str, Any], attachments: int) -> list[tuple[str, str]]:
    """``attachments`` (target, policy) pairs, PER_TARGET per target, policies round-robin."""
    policies = [ids["policies"][f"Scp{n:03d}"] for n in range(POLICY_POOL)]
    targets = all_targets(ids)
    return [(targets[n // PER_TARGET], policies[(n // PER_TARGET + n % PER_TARGET) % POLICY_POOL])
            for n in range(attachments)]


def removed(pairs: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """Every tenth pair: 10% of them, spread over the targets."""
    return set(pairs[::round(1 / REMOVED_SHARE)])


def projects(work_dir: Path) -> dict[str, Project]:
    """The two projects, each with its stack selected (created)."""
    made = {kind: Project.generated(work_dir, f"bench-{kind}", program) for kind, program in PROGRAMS.items()}
    for project in made.values():
        project.select(STACK)
    return made


def declare(projects: dict[str, Project], pairs: list[tuple[str, str]]) -> None:
    for project in projects.values():
        (project.folder / PAIRS_FILE).write_text(json.dumps(pairs))


def run_both(pairs: list[tuple[str, str]], endpoint: Any, work_dir: Path, repeats: int = 1) -> dict[str, Any]:
    """The four steps, each run for ours and for the floor back to back (ours, floor,
    ours, floor, ...), so that both see the same machine load; seconds per kind and
    step (median of the runs) and our AWS calls per step."""
    kinds = projects(work_dir)
    declare(kinds, pairs)
    timings: dict[str, dict[str, list[float]]] = {kind: {} for kind in kinds}
    calls: dict[str, dict[str, int]] = {}

    def step(name: str, command: tuple[str, ...], runs: int) -> None:
        for _ in range(runs):
            for kind, project in kinds.items():
                endpoint.control.reset_calls()
                started = time.perf_counter()
                project.pulumi(*command).check()
                timings[kind].setdefault(name, []).append(time.perf_counter() - started)
                if kind == "ours":
                    calls[name] = {op: n for op, n in endpoint.control.calls().items() if n}

    step("preview_new", ("preview",), repeats)
    step("up", ("up",), 1)
    step("preview_same", ("preview",), repeats)
    gone = removed(pairs)
    declare(kinds, [pair for pair in pairs if pair not in gone])
    step("preview_removals", ("preview",), repeats)
    seconds = {kind: {name: round(statistics.median(runs), 2) for name, runs in by_step.items()}
               for kind, by_step in timings.items()}
    return {"seconds": seconds, "calls": calls}


def measure(sizes: tuple[int, ...], repeats: int = 3) -> list[dict[str, Any]]:
    """One row per N: seconds of ours and the floor per step, ratios, our calls."""
    rows = []
    require_cli()
    for attachments in sizes:
        targets = math.ceil(attachments / PER_TARGET)
        shape = OrgShape(targets=max(targets, 2), policies=POLICY_POOL)
        with serving_apart(shape) as endpoint, tempfile.TemporaryDirectory(prefix="bench-engine-") as work:
            pairs = pairs_for(endpoint.ids, attachments)
            measured = run_both(pairs, endpoint, Path(work), repeats)
        ours, floor = measured["seconds"]["ours"], measured["seconds"]["floor"]
        rows.append({
            "attachments": attachments, "targets": targets, "policies": POLICY_POOL,
            "removed": len(removed(pairs)), "ours_s": ours, "floor_s": floor,
            "ratio": {s: round(ours[s] / floor[s], 2) for s in STEPS},
            "calls": measured["calls"],
        })
    return rows
