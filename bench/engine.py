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


def run_stack(kind: str, pairs: list[tuple[str, str]], endpoint: Any, work_dir: Path,
              repeats: int = 1) -> dict[str, Any]:
    """The four steps for one program kind; seconds and (ours) calls per step."""
    declared = {"pairs": pairs}
    declare = _ours if kind == "ours" else _floor
    st = _stack(work_dir / kind, kind, lambda: declare(declared["pairs"]))
    seconds: dict[str, float] = {}
    calls: dict[str, dict[str, int]] = {}

    def step(name: str, action: Callable[[], Any], runs: int) -> None:
        timings = []
        for _ in range(runs):
            endpoint.control.reset_calls()
            started = time.perf_counter()
            action()
            timings.append(time.perf_counter() - started)
            calls[name] = {op: n for op, n in endpoint.control.calls().items() if n}
        seconds[name] = round(statistics.median(timings), 2)

    step("preview_new", st.preview, repeats)
    step("up", st.up, 1)
    step("preview_same", st.preview, repeats)
    gone = removed(pairs)
    declared["pairs"] = [pair for pair in pairs if pair not in gone]
    step("preview_removals", st.preview, repeats)
    return {"seconds": seconds, "calls": calls if kind == "ours" else {}}


def measure(sizes: tuple[int, ...], repeats: int = 3) -> list[dict[str, Any]]:
    """One row per N: seconds of ours and the floor per step, ratios, our calls."""
    rows = []
    automation.require_cli()
    for attachments in sizes:
        targets = math.ceil(attachments / PER_TARGET)
        shape = OrgShape(targets=max(targets, 2), policies=POLICY_POOL)
        with serving_apart(shape) as endpoint, tempfile.TemporaryDirectory(prefix="bench-engine-") as work:
            pairs = pairs_for(endpoint.ids, attachments)
            ours = run_stack("ours", pairs, endpoint, Path(work), repeats)
            endpoint.control.reset()
            floor = run_stack("floor", pairs, endpoint, Path(work), repeats)
        rows.append({
            "attachments": attachments, "targets": targets, "policies": POLICY_POOL,
            "removed": len(removed(pairs)),
            "ours_s": ours["seconds"], "floor_s": floor["seconds"],
            "ratio": {s: round(ours["seconds"][s] / floor["seconds"][s], 2) for s in STEPS},
            "calls": ours["calls"],
        })
    return rows
