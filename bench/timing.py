"""Time through the provider server against the same AWS calls made directly.

* :func:`overhead_ratio`: per operation, median time of the gRPC call to the
  SDK's provider server (request already built, as the engine holds it)
  divided by the median time of the very AWS calls that operation made, made
  with one warm boto3 client from this process. Rounds interleave the two
  sides, alternating which goes first, so drift in machine load hits both.
  The call counts of both sides are compared, so "the same calls" is checked.
* :func:`cold_start_ratio`: from starting ``python -m pulumi.dynamic`` to the
  first answered Create (Configure included, as the engine sends it first),
  against a plain ``python -c`` that imports boto3, makes a client and
  attaches once.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from google.protobuf import empty_pb2
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2

from harness.provider_server import PROVIDER_KEY, URN, ProviderServer

from .calls import FAST_RETRY, props, started_server
from .org import OrgShape, client, serving

SCP = "SERVICE_CONTROL_POLICY"


def _struct(server: ProviderServer, values: dict[str, Any]) -> Any:
    return asyncio.run(rpc.serialize_properties({**values, PROVIDER_KEY: server.serialized_provider}, {}))


def _timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def overhead_ratio(rounds: int = 30, warmup: int = 3) -> dict[str, Any]:
    """``{"create": r, "read": r, "delete": r, "medians_ms": {...}, "floor_ms": {...},
    "calls_per_round": {...}, "rounds": n}``.

    ``floor_ms`` says where the difference goes: ``grpc_round_trip`` is
    GetPluginInfo (transport only), ``update_no_aws`` is an Update (the SDK's
    whole request path and the provider's code, no AWS call).
    """
    with serving(OrgShape(targets=4)) as endpoint:
        ids = endpoint.ids
        target, policy = list(ids["accounts"].values())[1], ids["policies"]["Scp000"]
        id_ = f"{target}:{policy}"
        orgs = client(endpoint)
        server = started_server()
        try:
            urn = URN.format(name="bench")
            ins = props(policy, target)
            outs = {**ins, "target_type": "ACCOUNT", "policy_type": SCP, "policy_name": "Scp000"}
            requests = {
                "create": provider_pb2.CreateRequest(urn=urn, properties=_struct(server, ins)),
                "read": provider_pb2.ReadRequest(id=id_, urn=urn, properties=_struct(server, outs),
                                                 inputs=_struct(server, ins)),
                "delete": provider_pb2.DeleteRequest(id=id_, urn=urn, properties=_struct(server, outs)),
                # No AWS call: the SDK's request handling plus the provider's own code.
                "update": provider_pb2.UpdateRequest(id=id_, urn=urn, olds=_struct(server, outs),
                                                     news=_struct(server, {**ins, "skip_destroy": True})),
            }
            stub = server.stub
            via_provider = {
                "create": lambda: stub.Create(requests["create"], timeout=60),
                "read": lambda: stub.Read(requests["read"], timeout=60),
                "delete": lambda: stub.Delete(requests["delete"], timeout=60),
            }
            listing = orgs.get_paginator("list_policies_for_target")

            def list_scps() -> list[Any]:
                return [p for page in listing.paginate(TargetId=target, Filter=SCP) for p in page["Policies"]]

            # The floor: a gRPC round trip to the same server that runs no provider code.
            floors = {
                "grpc_round_trip": lambda: stub.GetPluginInfo(empty_pb2.Empty(), timeout=60),
                "update_no_aws": lambda: stub.Update(requests["update"], timeout=60),
            }
            floor_times: dict[str, list[float]] = {name: [] for name in floors}
            # What the provider does once warm (DescribePolicy is cached after the first create).
            direct = {
                "create": lambda: orgs.attach_policy(PolicyId=policy, TargetId=target),
                "read": list_scps,
                "delete": lambda: (list_scps(), orgs.detach_policy(PolicyId=policy, TargetId=target)),
            }
            times: dict[str, dict[str, list[float]]] = {side: {op: [] for op in direct}
                                                        for side in ("provider", "direct")}
            counts: dict[str, dict[str, int]] = {side: {} for side in ("provider", "direct")}
            for round_ in range(warmup + rounds):
                order = [("provider", via_provider), ("direct", direct)]
                if round_ % 2:
                    order.reverse()
                for side, ops in order:
                    if round_ == warmup:
                        endpoint.control.reset_calls()
                    for op in ("create", "read", "delete"):
                        elapsed = _timed(ops[op])
                        if round_ >= warmup:
                            times[side][op].append(elapsed)
                    if round_ == warmup:
                        counts[side] = {k: v for k, v in endpoint.control.calls().items() if v}
                for name, call in floors.items():
                    elapsed = _timed(call)
                    if round_ >= warmup:
                        floor_times[name].append(elapsed)
        finally:
            server.close()
    medians = {side: {op: statistics.median(values) for op, values in per_op.items()}
               for side, per_op in times.items()}
    if counts["provider"] != counts["direct"]:
        raise AssertionError(f"the two sides made different AWS calls: {counts}")
    return {
        **{op: round(medians["provider"][op] / medians["direct"][op], 2) for op in direct},
        "medians_ms": {side: {op: round(v * 1000, 2) for op, v in per_op.items()}
                       for side, per_op in medians.items()},
        "floor_ms": {name: round(statistics.median(values) * 1000, 2) for name, values in floor_times.items()},
        "calls_per_round": counts["provider"],
        "rounds": rounds,
    }


_BASELINE = (
    "import boto3, sys; "
    "boto3.client('organizations').attach_policy(PolicyId=sys.argv[1], TargetId=sys.argv[2])"
)


def cold_start_ratio(runs: int = 5) -> dict[str, Any]:
    """``{"ratio": r, "provider_s": median, "plain_boto3_s": median, "runs": n}``."""
    with serving(OrgShape(targets=4)) as endpoint:
        ids = endpoint.ids
        target, policy = list(ids["accounts"].values())[1], ids["policies"]["Scp000"]
        orgs = client(endpoint)
        provider_s: list[float] = []
        plain_s: list[float] = []

        def provider_run() -> None:
            started = time.perf_counter()
            server = ProviderServer()
            try:
                server.configure(FAST_RETRY)
                server.create(props(policy, target))
                provider_s.append(time.perf_counter() - started)
            finally:
                server.close()

        def plain_run() -> None:
            started = time.perf_counter()
            subprocess.run([sys.executable, "-c", _BASELINE, policy, target], check=True,
                           env={**os.environ, "AWS_DEFAULT_REGION": "us-east-1"})
            plain_s.append(time.perf_counter() - started)

        for run in range(runs):
            for measure in (provider_run, plain_run) if run % 2 == 0 else (plain_run, provider_run):
                measure()
                orgs.detach_policy(PolicyId=policy, TargetId=target)
    provider, plain = statistics.median(provider_s), statistics.median(plain_s)
    return {"ratio": round(provider / plain, 2), "provider_s": round(provider, 3),
            "plain_boto3_s": round(plain, 3), "runs": runs}
