"""CPU time of the plan-time decisions alone: the pure :mod:`provider.rules`
functions, called as the provider's ``check`` and :mod:`provider.guard` call them,
with no AWS and no event loop.

The workload: ``declared`` attachments approved for creation (each one checked
with ``policies_after`` + ``attach_exceeds_maximum``, as the provider's
``check`` does), then ``deletions`` detaches (each checked with
``policies_after`` + ``detach_verdict``, as
``guard_before_delete`` does), against targets that already carry
FullAWSAccess.
"""

from __future__ import annotations

import time
from collections import defaultdict

from provider import rules

from .org import FULL_AWS_ACCESS, SCP

#: Custom SCPs per target: with FullAWSAccess, the most AWS allows.
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
    attached = {target: (FULL_AWS_ACCESS,) for target in targets}
    attaches: dict[tuple[str, str], set[str]] = defaultdict(set)
    detaches: dict[tuple[str, str], set[str]] = defaultdict(set)
    refused = 0
    started = time.process_time()
    for target, policy in creates:
        key = (target, SCP)
        after = rules.policies_after(attached[target], attaches[key] | {policy}, detaches[key])
        if rules.attach_exceeds_maximum(SCP, after):
            refused += 1
        else:
            attaches[key].add(policy)
    for target, policy in removes:
        key = (target, SCP)
        remaining = rules.policies_after(attached[target], attaches[key], detaches[key] | {policy})
        if rules.detach_verdict(SCP, remaining) is rules.Detach.TOO_FEW:
            refused += 1
        else:
            detaches[key].add(policy)
    elapsed = time.process_time() - started
    assert refused == 0, f"the workload should be all allowed, {refused} refused"
    return elapsed
