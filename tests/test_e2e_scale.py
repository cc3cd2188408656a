"""End to end at the size users run: the real Pulumi CLI in the project folder (its Python
language host, file:// backend) with 150 attachments over 50 targets, at the default
``--parallel`` and at ``--parallel=1``.

Before the guard's hooks had worker threads of their own, every preview and up
here hung: the SDK's pending registrations filled the executor the hooks waited
for (from about 5 attachments at ``parallel=1``).
"""

from __future__ import annotations

import json
from typing import Any, Optional

import pytest

from tests.test_e2e import DELETE_HOOK, changes

SCP = "SERVICE_CONTROL_POLICY"
TARGETS = 50
POLICIES = ("ScaleA", "ScaleB", "ScaleC")
#: An SCP that allows something: what stays on a target after a removal keeps it usable.
ALLOWING = json.dumps({"Version": "2012-10-17",
                       "Statement": [{"Effect": "Allow", "Action": ["ec2:*", "s3:*"], "Resource": "*"}]})


@pytest.fixture
def scale_org(org: dict[str, Any], orgs_client: Any) -> dict[str, Any]:
    """The sample organization plus 50 OUs under the root and three SCPs attached nowhere."""
    ous = {f"Root/Scale{n:02d}": orgs_client.create_organizational_unit(
        ParentId=org["root"], Name=f"Scale{n:02d}")["OrganizationalUnit"]["Id"] for n in range(TARGETS)}
    policies = {name: orgs_client.create_policy(Name=name, Description=name, Type=SCP, Content=ALLOWING)
                ["Policy"]["PolicySummary"]["Id"] for name in POLICIES}
    return {**org, "scale_ous": ous, "scale_policies": policies}


def config(attachments: dict[str, list[str]]) -> dict[str, Any]:
    # 50 removals in one update are deliberate here: the program's removal limit says so.
    return {"aws:region": "us-east-1", "org-policies:attachments": attachments, "org-policies:maxRemovals": TARGETS}


def every_target(policies: tuple[str, ...] = POLICIES) -> dict[str, list[str]]:
    return {f"Root/Scale{n:02d}": list(policies) for n in range(TARGETS)}


def scp_ids(client: Any, target: str) -> set[str]:
    return {p["Id"] for p in client.list_policies_for_target(TargetId=target, Filter=SCP)["Policies"]}


@pytest.mark.timeout(300)  # a regression of the deadlock hangs: fail it well before the suite's 600 s
@pytest.mark.parametrize("parallel", [None, 1], ids=["default-parallel", "parallel-1"])
def test_150_attachments_up_then_previews_that_keep_remove_and_refuse(
        project, endpoint, scale_org, orgs_client, parallel: Optional[int]) -> None:
    project.select("scale", config(every_target()))
    flags = () if parallel is None else ("--parallel", str(parallel))
    declared = TARGETS * len(POLICIES)
    stack_resources = 2  # the stack itself and the program's removal-limit bookkeeping

    assert project.up(*flags) == {"create": declared + stack_resources}
    assert changes(endpoint) == {"AttachPolicy": declared}
    for ou in scale_org["scale_ous"].values():
        assert scp_ids(orgs_client, ou) == {"p-FullAWSAccess", *scale_org["scale_policies"].values()}

    endpoint.control.reset_calls()
    assert project.preview(*flags) == {"same": declared + stack_resources}
    assert changes(endpoint) == {}

    # 50 removals, one per target: each target keeps three SCPs. The guard lists each
    # target once, whatever the number of attachments in the stack, and the change
    # summary adds the root above them once (do the accounts keep a lost SCP from there?).
    project.write_config("scale", config(every_target(POLICIES[:2])))
    endpoint.control.reset_calls()
    # The stack's record of what is declared changes with the declarations: an update.
    assert project.preview(*flags) == {"delete": TARGETS, "update": 1, "same": declared - TARGETS + stack_resources - 1}
    assert changes(endpoint) == {}
    assert endpoint.control.calls()["ListPoliciesForTarget"] == TARGETS + 1

    # One target's whole list removed, after FullAWSAccess left it out of band: its
    # three SCPs are its only ones, so the last of them is refused, named.
    victim_path, victim = "Root/Scale07", scale_org["scale_ous"]["Root/Scale07"]
    orgs_client.detach_policy(PolicyId="p-FullAWSAccess", TargetId=victim)
    project.write_config("scale", config({k: v for k, v in every_target().items() if k != victim_path}))
    endpoint.control.reset_calls()
    message = project.refused("preview", *flags)
    assert f'before hook "{DELETE_HOOK}" failed' in message
    assert f"from {victim_path} ({victim}): it is the last service control policy" in message
    assert any(f"{name} ({pid})" in message for name, pid in scale_org["scale_policies"].items())
    assert changes(endpoint) == {}
    assert scp_ids(orgs_client, victim) == set(scale_org["scale_policies"].values())
