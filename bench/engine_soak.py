"""Engine soak: ``up`` then ``destroy --run-program`` of many attachments through the real
Pulumi CLI in a copy of the project folder (its Python language host runs ``__main__.py``),
while the endpoint fails a share of all calls with transient errors and throttles beyond a
request rate, as AWS Organizations does.

Roles:

* :func:`run_engine_soak`: plan the pairs (:func:`bench.soak.plan`, limits kept), snapshot the
  organization, ``up`` with faults and the rate limit on, snapshot, ``destroy``, snapshot.
  Faults and the limit are off only while this module reads the organization.
* :class:`EngineSoakReport`: lost / duplicated / unexpected changes (zero is a pass), whether
  every operation completed (the engine's change summaries), and the wall time, requests,
  faults and throttles it took. Every faulted or throttled request was retried: a call that
  gave up would have failed its operation.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness.cli import Project

from .soak import FAULT_CODES, enabled_types, plan, snapshot, tally

#: Every transient code AWS Organizations answers, as the endpoint injects them.
ENGINE_FAULT_CODES = (*FAULT_CODES, "FinalizingOrganization")
#: Retry settings of the soak's stack. Under a 10 requests/s limit a call must be able to wait
#: for a share of the bucket while hundreds of operations compete: about 45 s at most here
#: (the defaults allow 35-70 s), with shorter first waits than the defaults so that faults
#: cost little time.
SOAK_RETRY_CONFIG = {
    "policyAttachment:baseDelay": "0.5",
    "policyAttachment:maxDelay": "5",
    "policyAttachment:maxAttempts": "12",
}


@dataclass
class EngineSoakReport:
    """What the engine soak found and what it cost."""

    attachments: int
    fault_rate: float
    rate_limit: float
    lost: int = 0
    duplicated: int = 0
    unexpected_changes: int = 0
    up_changes: dict[str, int] = field(default_factory=dict)
    destroy_changes: dict[str, int] = field(default_factory=dict)
    requests: int = 0
    faults_injected: int = 0
    throttled: int = 0
    up_s: float = 0.0
    destroy_s: float = 0.0

    @property
    def retries(self) -> int:
        """Requests repeated after a fault or a throttle (each one was retried)."""
        return self.faults_injected + self.throttled

    @property
    def completed(self) -> bool:
        """Every attachment, the stack and the program's removal-limit resource, created by
        up and deleted by destroy."""
        # destroy --run-program also counts what the program declared as "same"
        return (self.up_changes == {"create": self.attachments + 2}
                and self.destroy_changes.get("delete") == self.attachments + 2
                and set(self.destroy_changes) <= {"delete", "same"})

    def summary(self) -> dict[str, Any]:
        return {**asdict(self), "retries": self.retries, "completed": self.completed}


def run_engine_soak(endpoint: Any, orgs: Any, targets: list[str], work_dir: Path, count: int, *,
                    fault_rate: float = 0.2, rate_limit: float = 10.0, seed: int = 11) -> EngineSoakReport:
    """``up`` then ``destroy --run-program`` of ``count`` attachments over ``targets`` with
    ``fault_rate`` transient faults and ``rate_limit`` requests/s, in a copy of the project
    in ``work_dir``; leaves both off. Needs the CLI and its Python language host on PATH."""
    types = enabled_types(orgs)
    pairs = plan(orgs, targets, count, prefix="engine-soak")
    attachments: dict[str, list[str]] = {}
    for target, policy in pairs:
        attachments.setdefault(target, []).append(policy)
    project = Project.copy(work_dir)
    project.select("soak", {"aws:region": "us-east-1", **SOAK_RETRY_CONFIG, "org-policies:attachments": attachments})
    report = EngineSoakReport(attachments=count, fault_rate=fault_rate, rate_limit=rate_limit)
    before = snapshot(orgs, targets, types)
    try:
        report.up_changes, report.up_s = _timed(project.up, endpoint, report, fault_rate, rate_limit, seed)
        middle = snapshot(orgs, targets, types)
        report.destroy_changes, report.destroy_s = _timed(
            lambda: project.destroy("--run-program"), endpoint, report, fault_rate, rate_limit, seed + 1)
        after = snapshot(orgs, targets, types)
    finally:
        endpoint.control.clear_faults()
        endpoint.control.clear_rate_limit()
    report.lost, report.unexpected_changes = tally(set(pairs), before, middle, after)
    return report


def _timed(action: Callable[[], dict[str, int]], endpoint: Any, report: EngineSoakReport, fault_rate: float,
           rate_limit: float, seed: int) -> tuple[dict[str, int], float]:
    """Run one engine command (its resource changes) with faults and the limit on; count
    what reached the endpoint."""
    endpoint.control.reset_calls()
    endpoint.control.set_faults(fault_rate, ENGINE_FAULT_CODES, seed=seed)
    endpoint.control.set_rate_limit(rate_limit)
    started = time.perf_counter()
    try:
        result = action()
    finally:
        elapsed = time.perf_counter() - started
        endpoint.control.clear_faults()
        endpoint.control.clear_rate_limit()
        calls, faulted = endpoint.control.calls(), endpoint.control.faulted()
        throttled = endpoint.control.throttled()
        report.requests += sum(calls.values())
        report.faults_injected += sum(faulted.values())
        report.throttled += sum(throttled.values())
        applied = calls.get("AttachPolicy", 0) + calls.get("DetachPolicy", 0) - sum(
            faulted.get(op, 0) + throttled.get(op, 0) for op in ("AttachPolicy", "DetachPolicy"))
        report.duplicated += max(0, applied - report.attachments)
    return result, round(elapsed, 1)
