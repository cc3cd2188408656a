"""Soak: create then delete many attachments through the provider server while
the endpoint fails a share of all calls with transient errors, then compare
the organization with what was asked.

Roles:

* :func:`plan`: make the policies the soak attaches (SCPs, and tag policies
  when enabled) and pick (target, policy) pairs within AWS's per-target limits,
  spread over the targets.
* :func:`run_soak`: snapshot every target's policies of every enabled type,
  create all pairs (4 at a time, as the engine's provider server serves),
  snapshot, delete all, snapshot; faults only while the provider works.
* :class:`SoakReport`: what went wrong, counted. "Applied" calls are the
  endpoint's calls minus its faulted ones (a faulted call never reaches the
  model, so it changed nothing).
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any, Optional

from harness.provider_server import ProviderError, ProviderServer
from provider.limits import DEFAULT as AWS_NUMBERS

from .calls import FAST_RETRY, props

Pair = tuple[str, str]  # (target_id, policy_id)
SCP = "SERVICE_CONTROL_POLICY"
TAG = "TAG_POLICY"
FAULT_CODES = ("ConcurrentModification", "TooManyRequests", "PolicyChangesInProgress", "Service")
SOAK_CONFIG = FAST_RETRY
_CONTENT = {
    SCP: {"Version": "2012-10-17",
          "Statement": [{"Effect": "Deny", "Action": "soak:Nothing", "Resource": "*"}]},
    TAG: {"tags": {"soakowner": {"tag_key": {"@@assign": "SoakOwner"}}}},
}
#: Policies of each type the soak makes: SCPs fill the 4 slots FullAWSAccess leaves.
POOL = {SCP: 4, TAG: 2}


@dataclass
class SoakReport:
    """Counts of what the soak found; zero lost/duplicated/unexpected is a pass."""

    attachments: int
    lost: int = 0
    duplicated: int = 0
    unexpected_changes: int = 0
    faults_injected: int = 0
    #: provider errors (create or delete that failed after its retries), first few
    errors: list[str] = field(default_factory=list)
    applied: dict[str, int] = field(default_factory=dict)
    faulted: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict[str, int]:
        return {"attachments": self.attachments, "lost": self.lost, "duplicated": self.duplicated,
                "unexpected_changes": self.unexpected_changes, "faults_injected": self.faults_injected}

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def enabled_types(orgs: Any) -> list[str]:
    root = orgs.list_roots()["Roots"][0]
    return [t["Type"] for t in root.get("PolicyTypes", []) if t.get("Status") == "ENABLED"]


def snapshot(orgs: Any, targets: list[str], types: list[str]) -> set[Pair]:
    """Every (target, policy) attachment of every type in ``types``."""
    paginator = orgs.get_paginator("list_policies_for_target")
    return {(target, p["Id"]) for target in targets for policy_type in types
            for page in paginator.paginate(TargetId=target, Filter=policy_type)
            for p in page["Policies"]}


def _maximum(policy_type: str) -> int:
    """AWS's per-target maximum of one of the soak's types (each has one)."""
    maximum = AWS_NUMBERS.of(policy_type).maximum
    if maximum is None:
        raise ValueError(f"{policy_type} has no published maximum: the soak cannot plan its slots")
    return maximum


def plan(orgs: Any, targets: list[str], count: int, prefix: str = "soak") -> list[Pair]:
    """Create the soak's policies and return ``count`` new (target, policy) pairs
    that keep every target within AWS's limits. ValueError when the targets
    cannot take that many."""
    types = [t for t in POOL if t in enabled_types(orgs)]
    pools = {t: [orgs.create_policy(Name=f"{prefix}-{t.lower()}-{n}", Description="soak", Type=t,
                                    Content=json.dumps(_CONTENT[t]))["Policy"]["PolicySummary"]["Id"]
                 for n in range(POOL[t])] for t in types}
    paginator = orgs.get_paginator("list_policies_for_target")
    room = {(target, t): _maximum(t) - sum(
        len(page["Policies"]) for page in paginator.paginate(TargetId=target, Filter=t))
        for target in targets for t in types}
    pairs: list[Pair] = []
    # Slot by slot over all targets, so consecutive creates hit different targets.
    for policy_type in types:
        for policy in pools[policy_type]:
            for target in targets:
                if len(pairs) == count:
                    return pairs
                if room[(target, policy_type)] > 0:
                    room[(target, policy_type)] -= 1
                    pairs.append((target, policy))
    if len(pairs) < count:
        raise ValueError(f"the {len(targets)} targets take only {len(pairs)} more attachments, "
                         f"not {count}: use a bigger organization")
    return pairs


def run_soak(endpoint: Any, orgs: Any, targets: list[str], count: int = 200, *, rate: float = 0.3,
             codes: tuple[str, ...] = FAULT_CODES, seed: int = 20240, workers: int = 4,
             server: Optional[ProviderServer] = None) -> SoakReport:
    """Create and delete ``count`` attachments with faults injected; compare.

    Leaves the endpoint's faults cleared. ``orgs`` is a boto3 client of the
    endpoint (used with faults off only).
    """
    types = enabled_types(orgs)
    pairs = plan(orgs, targets, count)
    before = snapshot(orgs, targets, types)
    own_server = server is None
    server = server or ProviderServer()
    report = SoakReport(attachments=count)
    try:
        server.configure(SOAK_CONFIG)
        outputs: dict[Pair, dict[str, Any]] = {}
        created = _phase(endpoint, server, pairs, "create", outputs, rate, codes, seed, workers, report)
        middle = snapshot(orgs, targets, types)
        _phase(endpoint, server, [p for p in pairs if p in created], "delete", outputs, rate, codes,
               seed + 1, workers, report)
        after = snapshot(orgs, targets, types)
    finally:
        endpoint.control.clear_faults()
        if own_server:
            server.close()
    report.lost, report.unexpected_changes = tally(set(pairs), before, middle, after)
    for op in ("AttachPolicy", "DetachPolicy"):
        report.duplicated += max(0, report.applied.get(op, 0) - count)
    return report


def tally(asked: set[Pair], before: set[Pair], middle: set[Pair], after: set[Pair]) -> tuple[int, int]:
    """(lost, unexpected_changes) from the three snapshots.

    Lost: an asked attachment missing after the creates, or still there after
    the deletes. Unexpected: any other difference from what was asked (after
    the creates: before + asked; after the deletes: before).
    """
    missing, left = asked - middle, asked & after
    unexpected = (middle ^ (before | asked)) - missing
    unexpected |= (after ^ before) - asked
    return len(missing) + len(left), len(unexpected)


def _phase(endpoint: Any, server: ProviderServer, pairs: list[Pair], action: str,
           outputs: dict[Pair, dict[str, Any]], rate: float, codes: tuple[str, ...], seed: int,
           workers: int, report: SoakReport) -> set[Pair]:
    """Run ``action`` on every pair with faults on; return the pairs it succeeded on.
    A create records its outputs in ``outputs``; a delete sends them as state."""

    def one(pair: Pair) -> Optional[str]:
        target, policy = pair
        try:
            if action == "create":
                _, outputs[pair] = server.create(props(policy, target), name=f"{target}-{policy}")
            else:
                server.delete(f"{target}:{policy}", outputs[pair])  # the state the create left
        except ProviderError as err:
            return f"{action} {target}:{policy}: {err.details.strip().splitlines()[-1]}"
        return None

    endpoint.control.reset_calls()
    endpoint.control.set_faults(rate, codes, seed=seed)
    try:
        with ThreadPoolExecutor(workers) as pool:
            outcomes = list(pool.map(one, pairs))
    finally:
        endpoint.control.clear_faults()
    calls, faulted = endpoint.control.calls(), endpoint.control.faulted()
    for op, n in calls.items():
        report.applied[op] = report.applied.get(op, 0) + n - faulted.get(op, 0)
    for op, n in faulted.items():
        report.faulted[op] = report.faulted.get(op, 0) + n
    report.faults_injected += sum(faulted.values())
    failed = [o for o in outcomes if o is not None]
    report.errors += failed[: max(0, 10 - len(report.errors))]
    return {pair for pair, outcome in zip(pairs, outcomes, strict=True) if outcome is None}
