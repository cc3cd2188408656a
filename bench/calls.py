"""AWS calls per provider operation, counted at the endpoint, not assumed.

* :func:`serialized_provider_bytes`: the ``__provider`` value every resource
  carries in state (a by-reference dill pickle, base64).
* :func:`api_calls`: calls of create, read, update and delete, each through
  the SDK's provider server in a fresh process (the engine starts one per
  ``pulumi`` command, so its caches start empty).
* :func:`refresh_calls`: refreshing one FullAWSAccess attachment while that
  policy is attached to N targets: ours (ListPoliciesForTarget on the target)
  against Terraform's (ListTargetsForPolicy, paged until the target shows up).
"""

from __future__ import annotations

import math
from typing import Any

from pulumi.dynamic.dynamic import serialize_provider

from harness.provider_server import FAST_RETRY as _FAST
from harness.provider_server import ProviderServer
from provider import PolicyAttachmentProvider

from .org import FULL_AWS_ACCESS, OrgShape, all_targets, client, serving

#: The page size Terraform's ListTargetsForPolicy paging gets (the API's maximum).
LIST_TARGETS_PAGE = 20
#: Fast retries, and enough of them to ride out the soak's injected faults.
FAST_RETRY = {**_FAST, "policyAttachment:maxAttempts": "12"}


def serialized_provider_bytes() -> int:
    """Length of one resource's ``__provider`` string."""
    return len(serialize_provider(PolicyAttachmentProvider()))


def props(policy_id: str, target_id: str, skip_destroy: bool = False) -> dict[str, Any]:
    return {"policy_id": policy_id, "target_id": target_id, "skip_destroy": skip_destroy}


def started_server() -> ProviderServer:
    """A provider server configured as a stack with fast retries would configure it."""
    server = ProviderServer()
    server.configure(FAST_RETRY)
    return server


def _counted(endpoint: Any, action: Any) -> dict[str, int]:
    endpoint.control.reset_calls()
    action()
    return {op: n for op, n in endpoint.control.calls().items() if n}


def api_calls() -> dict[str, Any]:
    """``{"create": n, "read": n, "update": n, "delete": n, "detail": {...}}``.

    Each operation runs in its own fresh provider process; ``detail`` also
    shows the variants: a second create of the same policy in a warm process
    (DescribePolicy cached) and a read without state (an import).
    """
    shape = OrgShape(targets=4)
    with serving(shape) as endpoint:
        ids = endpoint.ids
        account, other = list(ids["accounts"].values())[1:3]
        policy = ids["policies"]["Scp000"]
        detail: dict[str, dict[str, int]] = {}
        outs: dict[str, Any] = {}

        def fresh(name: str, action: Any) -> None:
            server = started_server()
            try:
                detail[name] = _counted(endpoint, lambda: action(server))
            finally:
                server.close()

        # The first create alone, then one of the same policy in the same (now warm) process.
        server = started_server()
        try:
            detail["create"] = _counted(
                endpoint, lambda: outs.update(server.create(props(policy, account))[1]))
            detail["create (warm, same policy)"] = _counted(
                endpoint, lambda: server.create(props(policy, other)))
        finally:
            server.close()
        id_ = f"{account}:{policy}"
        fresh("read", lambda s: s.read(id_, outs))
        fresh("read (import, no state)", lambda s: s.read(id_))
        fresh("update", lambda s: s.update(id_, outs, {**props(policy, account), "skip_destroy": True}))
        fresh("delete", lambda s: s.delete(id_, outs))  # the account keeps FullAWSAccess
    totals = {name: sum(detail[name].values()) for name in ("create", "read", "update", "delete")}
    return {**totals, "detail": detail}


def refresh_calls(sizes: tuple[int, ...] = (10, 100, 1000)) -> dict[str, dict[str, Any]]:
    """Per N: ``{"ours", "list_targets", "list_targets_measured", "position"}``.

    The refreshed attachment is FullAWSAccess on the target listed last by
    ListTargetsForPolicy (the worst case for paging). ``list_targets`` is the
    page count at the API's page size, ceil(position / 20): moto 5.2.5 ignores
    MaxResults and returns every target in one page, which
    ``list_targets_measured`` (the real calls at the endpoint) shows.
    """
    results: dict[str, dict[str, Any]] = {}
    for size in sizes:
        with serving(OrgShape(targets=size)) as endpoint:
            orgs = client(endpoint)
            listed = _list_targets(orgs, stop_at=None)
            assert len(listed) == len(all_targets(endpoint.ids)) == size, (len(listed), size)
            target = listed[-1]
            server = started_server()
            try:
                id_ = f"{target}:{FULL_AWS_ACCESS}"
                outs = server.read(id_, props(FULL_AWS_ACCESS, target))[1]  # state as after create
                ours = _counted(endpoint, lambda server=server, id_=id_, outs=outs: server.read(id_, outs))
            finally:
                server.close()
            measured = _counted(endpoint, lambda orgs=orgs, target=target: _list_targets(orgs, stop_at=target))
            position = listed.index(target) + 1
            results[str(size)] = {
                "ours": sum(ours.values()),
                "list_targets": math.ceil(position / LIST_TARGETS_PAGE),
                "list_targets_measured": sum(measured.values()),
                "position": position,
            }
    return results


def _list_targets(orgs: Any, stop_at: str | None) -> list[str]:
    """Terraform's read: page ListTargetsForPolicy(FullAWSAccess) until ``stop_at`` is seen."""
    seen: list[str] = []
    kwargs: dict[str, Any] = {"PolicyId": FULL_AWS_ACCESS, "MaxResults": LIST_TARGETS_PAGE}
    while True:
        page = orgs.list_targets_for_policy(**kwargs)
        seen += [t["TargetId"] for t in page["Targets"]]
        if (stop_at is not None and stop_at in seen) or not page.get("NextToken"):
            return seen
        kwargs["NextToken"] = page["NextToken"]
