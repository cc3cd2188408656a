"""CPU time of the plan-time decisions alone: the pure :mod:`provider.rules`
functions, called as the provider's ``check`` and :mod:`provider.guard` call them,
with no AWS and no event loop.

The workload: ``declared`` attachments approved for creation (each one a
``TargetState`` judged by ``judge_attach``, as the provider's ``check`` does),
then ``deletions`` detaches (each judged by ``judge_detach``, as the guard's
``before_delete`` does), against targets that already carry FullAWSAccess.
"""

from __future__ import annotations

import time
from collections import defaultdict

from provider import rules
from provider.limits import DEFAULT as AWS_LIMITS

from .org import FULL_AWS_ACCESS, SCP

#: Custom SCPs per target (FullAWSAccess takes one more slot).
PER_TARGET = 4


def guard_cpu_ms(declared: int = 5000, deletions: int = 1000, repeat: int = 5) -> dict[str, float]:
    """Median over ``repeat`` runs of the process CPU time, in ms."""
    samples = sorted(_decide(declared, deletions) for _ in range(repeat))
    median = samples[len(samples) // 2]
    return {"ms": round(median * 1000, 3), "declared": declared, "deletions": deletions,
            "per_decision_us": round(median * 1e6 / (declared + deletions), 3)}


def _decide(declared: int, deletions: int) -> float:
    targets = [f"{n:012d}" for n in range(-(-declared // PER_TARGET))]
    creates = [(targets[n // PER_TARGET], f"p-custom{n % PER_TARGET:04d}") for n in range(declared)]
    removes = creates[:deletions]
    attached = {target: frozenset({FULL_AWS_ACCESS}) for target in targets}
    attaches: dict[tuple[str, str], set[str]] = defaultdict(set)
    detaches: dict[tuple[str, str], set[str]] = defaultdict(set)
    refused = 0
    started = time.process_time()
    for target, policy in creates:
        key = (target, SCP)
        state = rules.TargetState(SCP, attached[target], frozenset(attaches[key]), frozenset(detaches[key]))
        if rules.judge_attach(state, policy, AWS_LIMITS) is not None:
            refused += 1
        else:
            attaches[key].add(policy)
    for target, policy in removes:
        key = (target, SCP)
        state = rules.TargetState(SCP, attached[target], frozenset(attaches[key]), frozenset(detaches[key]))
        if not rules.judge_detach(state, policy, AWS_LIMITS).allowed:
            refused += 1
        else:
            detaches[key].add(policy)
    elapsed = time.process_time() - started
    assert refused == 0, f"the workload should be all allowed, {refused} refused"
    return elapsed
