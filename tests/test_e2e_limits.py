"""End to end: AWS's limits as of today (10 SCPs per target, 10,240 characters per
SCP since 2026-05-15) and a stack's override of them, through the real CLI and its
Python language host, against an endpoint that enforces the same numbers."""

from __future__ import annotations

import json
from typing import Any

import pytest

from emulator.limits import BEFORE_2026_05_15
from harness.cli import Project
from tests.test_e2e import STACK, changes, settings

SCP = "SERVICE_CONTROL_POLICY"
OLD_LIMITS = {t: dict(n) for t, n in BEFORE_2026_05_15.items()}


def scp_ids(client: Any, target: str) -> set[str]:
    return {p["Id"] for p in client.list_policies_for_target(TargetId=target, Filter=SCP)["Policies"]}


@pytest.mark.parametrize("limits, maximum, source", [
    (None, 10, "AWS allows at most 10 (as of 2026-12-03)"),
    (OLD_LIMITS, 5, "this stack's org-policies:limits allow at most 5"),
], ids=["today", "overridden back to 5"])
def test_up_to_the_maximum_pass_preview_and_up_and_one_more_is_refused_at_preview(
        project: Project, endpoint: Any, org: dict[str, Any], orgs_client: Any, make_scps: Any,
        limits: Any, maximum: int, source: str, tmp_path: Any) -> None:
    """FullAWSAccess takes one slot: a target gets maximum - 1 declared SCPs; the next
    fails the preview (non-zero exit), naming the target, the count and the number's source."""
    extra = {"org-policies:limits": limits} if limits else {}
    if limits:
        endpoint.control.set_limits(limits)
    account, ids = org["accounts"]["dev-app"], make_scps(maximum)
    names = [f"Extra{n}" for n in range(maximum)]
    project.select(STACK, settings({"dev-app": names[:-1]}, **extra))
    assert project.preview()["create"] == maximum + 1  # maximum - 1 attachments, the record and the stack
    project.up()
    assert scp_ids(orgs_client, account) == {"p-FullAWSAccess", *ids[:-1]}

    project.write_config(STACK, settings({"dev-app": names}, **extra))
    endpoint.control.reset_calls()
    summary_file = tmp_path / "summary.md"
    summary_file.write_text("### org-policies change summary: 1 target changes.\n(the last push's)\n")
    project.env["ORG_POLICIES_SUMMARY"] = str(summary_file)
    result = project.pulumi("preview")
    assert result.code != 0
    assert (f"Refusing to attach Extra{maximum - 1} ({ids[-1]}) to account dev-app ({account}): it would carry "
            f"{maximum + 1} service control policy (SCP)s, and {source}.") in result.text
    # The check stops the preview before its summary: CI posts "not made", never the last push's.
    assert summary_file.read_text().startswith("### org-policies change summary: not made, the preview stopped first.")
    del project.env["ORG_POLICIES_SUMMARY"]
    assert changes(endpoint) == {}
    assert project.refused("up")  # `pulumi up` stops at the same check
    assert len(scp_ids(orgs_client, account)) == maximum


@pytest.mark.parametrize("limits, length, words", [
    (None, 10_241, "AWS allows at most 10,240 for a SERVICE_CONTROL_POLICY"),
    (OLD_LIMITS, 5_121, "this stack's org-policies:limits allow at most 5,120 for a SERVICE_CONTROL_POLICY"),
], ids=["today", "overridden back to 5,120"])
def test_an_scp_document_over_the_limit_fails_the_preview_before_anything_is_registered(
        project: Project, endpoint: Any, limits: Any, length: int, words: str) -> None:
    document = {"Version": "2012-10-17", "Statement": [{"Sid": "", "Effect": "Deny", "Action": "s3:x",
                                                        "Resource": "*"}]}
    padding = length - len(json.dumps(document, separators=(",", ":")))
    document["Statement"][0]["Sid"] = "x" * padding
    (project.folder / "policies" / "big.json").write_text(json.dumps(document, indent=2))
    extra = {"org-policies:limits": limits} if limits else {}
    project.select(STACK, settings({"Root/Sandbox": ["Big"]}, **{
        "org-policies:policies": {"Big": {"file": "policies/big.json"}}, **extra}))
    result = project.pulumi("preview", "--json")
    assert result.code != 0
    [error] = result.errors()
    assert error.startswith('org-policies:policies, policy "Big", file policies/big.json: the document is '
                            f"{length:,} characters once minified")
    assert words in error
