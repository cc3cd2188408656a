"""Whole stacks through the real Pulumi CLI, against the floor of the mechanism.

For N attachments (4 per target, from a pool of 8 SCPs, so T = N/4 targets and
P = 8 policies) one in-process endpoint serves a generated organization, and
two Automation API inline programs declare the same N (target, policy) pairs:
``ours`` as :class:`provider.PolicyAttachment` (guard hooks, AWS calls), the
``floor`` as :class:`bench.noop.NoopAttachment` (no hook, no call). Each runs,
in order:

* ``preview_new``: a preview of N new attachments (nothing in state yet);
* ``up``: creating them;
* ``preview_same``: an unchanged preview;
* ``preview_removals``: a preview with 10% of them removed (spread over the
  targets; every target keeps FullAWSAccess, so the guard passes).

Wall time of each (previews: the median of ``repeats`` runs; each run is a new
engine, provider process and cache, so runs are alike), the ratio ours / floor,
and the AWS calls of each of our steps by operation, counted at the endpoint.
The endpoint serves from a process of its own, as AWS would.
"""

from __future__ import annotations

import math
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pulumi import automation as auto

import provider
from program import automation

from .noop import NoopAttachment
from .org import OrgShape, all_targets, serving_apart

PER_TARGET = 4  # FullAWSAccess takes the fifth slot
POLICY_POOL = 8
REMOVED_SHARE = 0.1
STEPS = ("preview_new", "up", "preview_same", "preview_removals")


def pairs_for(ids: dict[str, Any], attachments: int) -> list[tuple[str, str]]:
    """``attachments`` (target, policy) pairs, PER_TARGET per target, policies round-robin."""
    policies = [ids["policies"][f"Scp{n:03d}"] for n in range(POLICY_POOL)]
    targets = all_targets(ids)
    return [(targets[n // PER_TARGET], policies[(n // PER_TARGET + n % PER_TARGET) % POLICY_POOL])
            for n in range(attachments)]


def removed(pairs: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """Every tenth pair: 10% of them, spread over the targets."""
    return set(pairs[::round(1 / REMOVED_SHARE)])


def _ours(pairs: list[tuple[str, str]]) -> None:
    provider.register_guard()
    for target, policy in pairs:
        provider.PolicyAttachment(f"{target}/{policy}", policy_id=policy, target_id=target)


def _floor(pairs: list[tuple[str, str]]) -> None:
    for target, policy in pairs:
        NoopAttachment(f"{target}/{policy}", policy_id=policy, target_id=target)


def _stack(work_dir: Path, name: str, program: Callable[[], None]) -> auto.Stack:
    options = auto.LocalWorkspaceOptions(
        work_dir=str(work_dir), env_vars=automation.engine_env(work_dir / "state"),
        project_settings=auto.ProjectSettings(name="bench-engine", runtime="python"))
    return auto.create_or_select_stack(stack_name=name, project_name="bench-engine",
                                       program=program, opts=options)


def run_both(pairs: list[tuple[str, str]], endpoint: Any, work_dir: Path, repeats: int = 1) -> dict[str, Any]:
    """The four steps, each run for ours and for the floor back to back (alternating
    which goes first), so that both see the same machine load; seconds per kind and
    step (median of the runs) and our AWS calls per step."""
    declared = {"pairs": pairs}
    stacks = {"ours": _stack(work_dir / "ours", "ours", lambda: _ours(declared["pairs"])),
              "floor": _stack(work_dir / "floor", "floor", lambda: _floor(declared["pairs"]))}
    timings: dict[str, dict[str, list[float]]] = {kind: {} for kind in stacks}
    calls: dict[str, dict[str, int]] = {}

    def step(name: str, action: Callable[[auto.Stack], Any], runs: int) -> None:
        for run in range(runs):
            order = ("ours", "floor") if run % 2 == 0 else ("floor", "ours")
            for kind in order:
                endpoint.control.reset_calls()
                started = time.perf_counter()
                action(stacks[kind])
                timings[kind].setdefault(name, []).append(time.perf_counter() - started)
                if kind == "ours":
                    calls[name] = {op: n for op, n in endpoint.control.calls().items() if n}

    step("preview_new", lambda st: st.preview(), repeats)
    step("up", lambda st: st.up(), 1)
    step("preview_same", lambda st: st.preview(), repeats)
    gone = removed(pairs)
    declared["pairs"] = [pair for pair in pairs if pair not in gone]
    step("preview_removals", lambda st: st.preview(), repeats)
    seconds = {kind: {name: round(statistics.median(runs), 2) for name, runs in by_step.items()}
               for kind, by_step in timings.items()}
    return {"seconds": seconds, "calls": calls}


def measure(sizes: tuple[int, ...], repeats: int = 3) -> list[dict[str, Any]]:
    """One row per N: seconds of ours and the floor per step, ratios, our calls."""
    rows = []
    automation.require_cli()
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
