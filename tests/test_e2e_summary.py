"""End to end: the change summary a reviewer reads, in the preview's own output
(the real CLI and its Python language host, in a copy of the project folder),
and in the file ``ORG_POLICIES_SUMMARY`` names, for each kind of change."""

from __future__ import annotations

import json
from typing import Any

from harness.cli import Project, Result
from tests.test_e2e import DELETE_HOOK, STACK, reconfigure, settings

HEADLINE = "org-policies change summary"


def summary_of(result: Result) -> list[str]:
    """The summary's lines, as ``pulumi preview --json`` carries them (an info diagnostic)."""
    diagnostics = result.documents()[0].get("diagnostics") or []
    found = [d["message"] for d in diagnostics if d.get("severity") == "info" and d["message"].startswith(HEADLINE)]
    assert len(found) == 1, f"expected one summary, got {found!r}"
    return [line.strip() for line in found[0].strip().splitlines()]


def preview(project: Project, *args: str) -> Result:
    return project.pulumi("preview", "--json", *args)


def test_the_sample_stacks_first_preview_summarises_attachments_and_an_adoption_in_a_file(
        project: Project, endpoint: Any, org: dict[str, Any], tmp_path: Any) -> None:
    markdown = tmp_path / "summary.md"
    project.env["ORG_POLICIES_SUMMARY"] = str(markdown)
    project.pulumi("stack", "select", "--create", "local").check()
    lines = summary_of(preview(project).check())
    ous, policies = org["ous"], org["policies"]
    assert lines[0] == f"{HEADLINE}: 4 targets change."
    assert f"Root ({org['root']}), reaching every account of the organization (5)" in lines
    assert (f"= adopt (already attached: no change in AWS) DenyLeaveOrganization "
            f"({policies['DenyLeaveOrganization']}) [SCP]") in lines
    workloads = lines.index(f"Root/Workloads ({ous['Root/Workloads']}), reaching 2 accounts: dev-app, prod-app")
    assert lines[workloads + 1:workloads + 5] == [
        f"+ attach RequireCostCenterTag ({policies['RequireCostCenterTag']}) [tag policy]",
        f"+ attach RestrictRegions ({policies['RestrictRegions']}) [SCP]",
        f"SCPs: the 2 accounts at or below it gain RestrictRegions ({policies['RestrictRegions']}) at this level.",
        f"Root/Workloads ({ous['Root/Workloads']}) keeps FullAWSAccess (p-FullAWSAccess) and RestrictRegions "
        f"({policies['RestrictRegions']}).",
    ]
    assert f"account sandbox-1 ({org['accounts']['sandbox-1']}), reaching 1 account: sandbox-1" in lines
    written = markdown.read_text()
    assert written.startswith(f"### {lines[0]}\n")
    for line in lines:
        assert line in written, line

    project.up()
    assert summary_of(preview(project).check()) == [f"{HEADLINE}: no change to policy attachments."]


def test_removals_and_a_swap_summarise_what_accounts_lose_and_gain_as_json(
        project: Project, endpoint: Any, org: dict[str, Any], tmp_path: Any) -> None:
    policies = org["policies"]
    project.select(STACK, settings({"Root/Workloads/Prod": ["DenyRootUser", "RestrictRegions"],
                                    "sandbox-1": ["DenyRootUser"]}))
    project.up()
    report = tmp_path / "summary.json"
    project.env["ORG_POLICIES_SUMMARY"] = str(report)
    reconfigure(project, {"Root/Workloads/Prod": ["DenyRootUser"], "sandbox-1": ["RestrictRegions"]})
    lines = summary_of(preview(project).check())
    prod, sandbox = org["ous"]["Root/Workloads/Prod"], org["accounts"]["sandbox-1"]
    assert lines[0] == f"{HEADLINE}: 2 targets change."
    at = lines.index(f"Root/Workloads/Prod ({prod}), reaching 1 account: prod-app")
    assert lines[at + 1:at + 3] == [
        f"- detach RestrictRegions ({policies['RestrictRegions']}) [SCP]",
        f"SCPs: the 1 account at or below it loses RestrictRegions ({policies['RestrictRegions']}) at this level."]
    at = lines.index(f"account sandbox-1 ({sandbox}), reaching 1 account: sandbox-1")
    assert lines[at + 1:at + 4] == [
        f"+ attach RestrictRegions ({policies['RestrictRegions']}) [SCP]",
        f"- detach DenyRootUser ({policies['DenyRootUser']}) [SCP]",
        f"SCPs: the 1 account at or below it loses DenyRootUser ({policies['DenyRootUser']}) and gains "
        f"RestrictRegions ({policies['RestrictRegions']}) at this level."]
    data = json.loads(report.read_text())
    assert data["headline"] == lines[0] and [t["target_id"] for t in data["targets"]] == [prod, sandbox]


def test_a_removal_the_guard_refuses_is_marked_refused_in_the_summary(
        project: Project, endpoint: Any, org: dict[str, Any], orgs_client: Any) -> None:
    sandbox, deny = org["accounts"]["sandbox-1"], org["policies"]["DenyRootUser"]
    project.select(STACK, settings({"sandbox-1": ["DenyRootUser"], "Root/Workloads": ["RestrictRegions"]}))
    project.up()
    orgs_client.detach_policy(PolicyId="p-FullAWSAccess", TargetId=sandbox)  # DenyRootUser is its only SCP now
    reconfigure(project, {"Root/Workloads": ["RestrictRegions"]})
    result = preview(project)
    assert result.code != 0
    lines = summary_of(result)
    assert lines[0] == f"{HEADLINE}: 1 target changes; 1 removal would be refused."
    assert lines[2] == (f"- detach DenyRootUser ({deny}) [SCP] -- REFUSED: Refusing to detach DenyRootUser ({deny}) "
                        f"from account sandbox-1 ({sandbox}): it is the last service control policy (SCP) attached "
                        "there.")
    assert any(f'before hook "{DELETE_HOOK}" failed' in e for e in result.errors())
    # The refusal names the entry the previous update declared, though it left the config.
    assert ('Declared at: org-policies:attachments, target "sandbox-1", policy "DenyRootUser" (removed by this '
            'change)') in " ".join(result.errors())


def test_an_exclusive_plan_is_summarised_with_the_target_it_takes_over(
        project: Project, endpoint: Any, org: dict[str, Any], make_scps: Any) -> None:
    ou, [allow] = org["ous"]["Root/Sandbox"], make_scps(1, allow=True)
    project.select(STACK, settings({"Root/Sandbox": {"exclusive": True, "policies": ["AllowList0"]}}))
    lines = summary_of(preview(project).check())
    assert lines[1] == f"Root/Sandbox ({ou}), reaching 1 account: sandbox-1"
    assert lines[2:5] == ["~ becomes exclusive for service control policy (SCP)",
                          f"+ attach (exclusive) AllowList0 ({allow}) [SCP]",
                          "- detach (exclusive) FullAWSAccess (p-FullAWSAccess) [SCP]"]
    assert lines[5] == (f"SCPs: the 1 account at or below it loses FullAWSAccess (p-FullAWSAccess) and gains "
                        f"AllowList0 ({allow}) at this level.")
