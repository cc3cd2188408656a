"""AWS calls a preview costs: the plan-time guard, and the provider's Check.

* :func:`guard_calls`: a preview that removes K attachments spread over T
  targets runs ``guard_before_delete`` K times, in parallel as the engine
  does; the guard should make one ListPoliciesForTarget per target (T calls)
  whatever K and whatever the size of the organization. Attachments that stay
  declared and unchanged never reach the guard.
* The lockout check adds DescribePolicy calls only where a detach could leave
  a target SCPs that allow nothing: at most one per distinct SCP involved,
  none while FullAWSAccess stays. :func:`lockout_calls` measures the worst
  case, FullAWSAccess removed from targets that keep only deny SCPs (every
  one refused; the refusal's message also looks the target up).
* :func:`naive_calls`: the contrast, a guard that refreshes every declared
  attachment with one ListPoliciesForTarget each.
* :func:`check_calls`: the part of a preview the guard does not cover: the
  engine calls the provider's ``check`` for every declared attachment, and
  ``check`` asks AWS (through per-process caches) whether the policy and
  target exist.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from harness.hooks import delete_args
from provider import OrganizationsApi, errors, guard

from .calls import props, started_server
from .org import FULL_AWS_ACCESS, SCP, OrgShape, all_targets, custom_attachments, serving

#: (removed K, over T targets); the last one removes every SCP of every
#: target, so the guard refuses T of them (the last SCP of each target).
DEFAULT_REMOVALS = ((0, 0), (1, 1), (10, 5), (50, 25), (200, 100), (800, 200), (1000, 200))


def declared(endpoint: Any, shape: OrgShape) -> dict[str, list[str]]:
    """``{target: [policy IDs]}`` of every SCP attachment the program declares:
    the custom ones first, FullAWSAccess last (so it is the last one removed)."""
    ids = endpoint.ids
    by_target: dict[str, list[str]] = {t: [] for t in all_targets(ids)}
    for target, policy in custom_attachments(ids, shape):
        by_target[target].append(policy)
    for target in by_target:
        by_target[target].append(FULL_AWS_ACCESS)
    return by_target


def spread(by_target: dict[str, list[str]], removed: int, targets: int) -> list[tuple[str, str]]:
    """``removed`` (target, policy) pairs over the first ``targets`` targets, as evenly as possible."""
    if removed < targets or (targets == 0 and removed):
        raise ValueError(f"cannot spread {removed} removals over {targets} targets")
    chosen = list(by_target)[:targets]
    pairs = []
    for index, target in enumerate(chosen):
        count = removed // targets + (1 if index < removed % targets else 0)
        if count > len(by_target[target]):
            raise ValueError(f"{target} has only {len(by_target[target])} attachments, not {count}")
        pairs += [(target, policy) for policy in by_target[target][:count]]
    return pairs


async def _run_hooks(run: guard.Guard, pairs: Iterable[tuple[str, str]]) -> list[BaseException | None]:
    return await asyncio.gather(*(run.before_delete(delete_args(p, t)) for t, p in pairs),
                                return_exceptions=True)


#: The guard's refusals of a preview; anything else it raises is a bench failure.
REFUSALS = (errors.LastPolicyError, errors.LockoutError)
#: Calls the guard makes to decide (the rest only enrich a refusal's message).
DECIDING = ("ListPoliciesForTarget", "DescribePolicy")


def guard_preview(endpoint: Any, by_target: dict[str, list[str]], pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Run the guard for one preview removing ``pairs`` of the attachments
    ``by_target``; the program declares the others. Its calls and refusals.

    ``calls`` counts the calls that decide (ListPoliciesForTarget, DescribePolicy);
    ``message_calls`` those made only to describe a refused target.
    """
    run = guard.start_run()
    removed = set(pairs)
    for target, policies in by_target.items():
        for policy in policies:
            if (target, policy) not in removed:
                run.record_declared("attachment", target, policy, f"{target}/{policy}")
    endpoint.control.reset_calls()
    outcomes = asyncio.run(_run_hooks(run, pairs))
    calls = {op: n for op, n in endpoint.control.calls().items() if n}
    unexpected = [o for o in outcomes if o is not None and not isinstance(o, REFUSALS)]
    if unexpected:
        raise RuntimeError(f"the guard failed unexpectedly: {unexpected[0]!r}") from unexpected[0]
    return {"calls": sum(calls.get(op, 0) for op in DECIDING),
            "lists": calls.get("ListPoliciesForTarget", 0),
            "describes": calls.get("DescribePolicy", 0),
            "message_calls": sum(n for op, n in calls.items() if op not in DECIDING),
            "refused": sum(isinstance(o, errors.LastPolicyError) for o in outcomes),
            "lockouts": sum(isinstance(o, errors.LockoutError) for o in outcomes),
            "by_operation": calls}


def involved_scps(by_target: dict[str, list[str]], pairs: list[tuple[str, str]]) -> int:
    """Distinct SCPs other than FullAWSAccess on the targets ``pairs`` touch:
    the most DescribePolicy calls the lockout check may make."""
    targets = {target for target, _ in pairs}
    return len({p for t in targets for p in by_target[t] if p != FULL_AWS_ACCESS})


def guard_calls(shape: OrgShape, removals: Iterable[tuple[int, int]] = DEFAULT_REMOVALS) -> list[dict[str, Any]]:
    """One row per (K, T): ``{"removed", "targets", "calls", "refused", "declared_unchanged"}``."""
    rows = []
    with serving(shape) as endpoint:
        by_target = declared(endpoint, shape)
        total = sum(len(p) for p in by_target.values())
        for removed, targets in removals:
            pairs = spread(by_target, removed, targets)
            result = guard_preview(endpoint, by_target, pairs)
            rows.append({"removed": removed, "targets": targets, "lists": result["lists"],
                         "describes": result["describes"], "involved": involved_scps(by_target, pairs),
                         "full_aws_access_removed": any(p == FULL_AWS_ACCESS for _, p in pairs),
                         "refused": result["refused"], "lockouts": result["lockouts"],
                         "declared_unchanged": total - removed})
    return rows


def lockout_calls(shape: OrgShape, targets: int) -> dict[str, Any]:
    """A preview that removes only FullAWSAccess from ``targets`` targets of
    ``shape``, each keeping its custom (deny-only) SCPs: every removal is a
    lockout. ``{"targets", "lists", "describes", "involved", "lockouts", "message_calls"}``."""
    with serving(shape) as endpoint:
        by_target = declared(endpoint, shape)
        chosen = [t for t in by_target if t not in (endpoint.ids["root"], endpoint.ids["management_account"])]
        pairs = [(target, FULL_AWS_ACCESS) for target in chosen[:targets]]
        result = guard_preview(endpoint, by_target, pairs)
    return {"targets": len(pairs), "lists": result["lists"], "describes": result["describes"],
            "involved": involved_scps(by_target, pairs), "lockouts": result["lockouts"],
            "message_calls": result["message_calls"]}


def naive_calls(endpoint: Any, by_target: dict[str, list[str]]) -> int:
    """Calls of a guard that refreshes every declared attachment, one ListPoliciesForTarget each."""
    api = OrganizationsApi()
    endpoint.control.reset_calls()
    for target, policies in by_target.items():
        for _ in policies:
            api.policies_for_target(target, SCP)
    return sum(endpoint.control.calls().values())


def scaling(sizes: Iterable[int] = (100, 500, 1000, 2000), removed: int = 10, targets: int = 5,
            with_naive: bool = True) -> list[dict[str, Any]]:
    """Guard calls for a fixed removal against organizations of ``sizes`` attachments."""
    rows = []
    for size in sizes:
        shape = OrgShape.with_attachments(size)
        with serving(shape) as endpoint:
            by_target = declared(endpoint, shape)
            assert sum(len(p) for p in by_target.values()) == size
            guarded = guard_preview(endpoint, by_target, spread(by_target, removed, targets))
            row = {"attachments": size, "removed": removed, "targets": targets, "guard": guarded["calls"]}
            if with_naive:
                row["naive"] = naive_calls(endpoint, by_target)
            rows.append(row)
    return rows


def check_calls(shape: OrgShape, workers: int = 4) -> dict[str, Any]:
    """AWS calls of the provider's ``check`` for every declared attachment of
    ``shape`` (unchanged: olds == news), in one fresh provider process with the
    engine's 4 parallel calls."""
    with serving(shape) as endpoint:
        by_target = declared(endpoint, shape)
        pairs = [(t, p) for t, policies in by_target.items() for p in policies]
        server = started_server()
        try:
            endpoint.control.reset_calls()

            def check(pair: tuple[str, str]) -> list[Any]:
                inputs = props(pair[1], pair[0])
                return server.check(inputs, olds=inputs)[1]

            with ThreadPoolExecutor(workers) as pool:
                failures = [f for fs in pool.map(check, pairs) for f in fs]
            calls = {op: n for op, n in endpoint.control.calls().items() if n}
        finally:
            server.close()
    if failures:
        raise RuntimeError(f"check refused a declared attachment: {failures[0]}")
    return {"declared": len(pairs), "targets": len(by_target), "calls": sum(calls.values()),
            "by_operation": calls}
