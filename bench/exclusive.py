"""AWS calls a preview costs for E exclusive targets (ExclusivePolicies).

Each exclusive target costs its provider ``check`` (which plans, so the
preview can show drift) and ``diff`` (which reuses check's plan in the same
process): the goal is one ListPoliciesForTarget per exclusive target, nothing
else, however many policies it has. Measured twice: unchanged (AWS already
matches the declared sets) and with drift (one SCP attached by hand on every
target), through a fresh provider server as the engine starts one per command,
with the engine's 4 parallel calls.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from harness.provider_server import ProviderServer
from provider import ExclusivePoliciesProvider

from .calls import FAST_RETRY
from .org import SCP, OrgShape, all_targets, client, serving

DEFAULT_SIZES = (1, 10, 50)


def _declared(orgs: Any, targets: list[str]) -> dict[str, list[str]]:
    return {t: sorted(p["Id"] for p in orgs.list_policies_for_target(TargetId=t, Filter=SCP)["Policies"])
            for t in targets}


def _preview(endpoint: Any, server: ProviderServer, declared: dict[str, list[str]], workers: int = 4) -> dict[str, Any]:
    """check + diff of every exclusive set, as the engine does for resources in state."""
    def one(target: str) -> int:
        state = {"target_id": target, "policy_type": SCP, "policy_ids": declared[target], "skip_destroy": False,
                 "found": declared[target], "attached": declared[target], "attach": [], "detach": []}
        news = {k: state[k] for k in ("target_id", "policy_type", "policy_ids", "skip_destroy")}
        inputs, failures = server.check({**news, "show_plan": True}, olds=state)
        if failures:
            raise RuntimeError(f"check refused {target}: {failures[0]}")
        return int(server.diff(f"{target}/{SCP}", state, inputs).changes == 2)  # DIFF_SOME

    endpoint.control.reset_calls()
    with ThreadPoolExecutor(workers) as pool:
        changed = sum(pool.map(one, declared))
    calls = {op: n for op, n in endpoint.control.calls().items() if n}
    return {"calls": sum(calls.values()), "list_calls": calls.get("ListPoliciesForTarget", 0),
            "changed": changed, "by_operation": calls}


def preview_calls(sizes: tuple[int, ...] = DEFAULT_SIZES) -> list[dict[str, Any]]:
    """One row per (E, drift): ``{"exclusive", "drift", "calls", "list_calls", "changed"}``."""
    rows = []
    for size in sizes:
        with serving(OrgShape(targets=size + 2, extra_scps=2)) as endpoint:
            orgs = client(endpoint)
            targets = all_targets(endpoint.ids)[:size]
            declared = _declared(orgs, targets)
            server = ProviderServer(env=None, provider=ExclusivePoliciesProvider())
            try:
                server.configure(FAST_RETRY)
                rows.append({"exclusive": size, "drift": False, **_preview(endpoint, server, declared)})
                spare = orgs.create_policy(Name="ByHand", Description="attached out of band", Type=SCP,
                                           Content='{"Version":"2012-10-17","Statement":[{"Effect":"Deny",'
                                                   '"Action":"s3:x","Resource":"*"}]}')["Policy"]["PolicySummary"]["Id"]
                for target in targets:
                    orgs.attach_policy(PolicyId=spare, TargetId=target)
                rows.append({"exclusive": size, "drift": True, **_preview(endpoint, server, declared)})
            finally:
                server.close()
    return rows
