"""End to end, adopting an organization: ``python -m program.adopt --write`` in a copy of
the project, then the real Pulumi CLI (``harness.cli.Project``) against the local endpoint.

The round trip must be exact: the first preview shows only adoptions (creates), ``up``
makes no AttachPolicy and no DetachPolicy call, the next preview shows no change, and a
second ``adopt --write`` adds nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.cli import CliMissingError, Project, require_cli

STACK = "adoptee"
SCP = "SERVICE_CONTROL_POLICY"
#: The stack's own two resources besides the attachments: the stack and the removal limit.
BOOKKEEPING = 2
COMMENTED = """\
# Production guardrails, adopted from what the console and Control Tower attached.
config:
  aws:region: us-east-1   # the stack's calls go here

  # Reviewed by the security team every quarter.
  org-policies:maxRemovals: 3
"""


@pytest.fixture
def project(endpoint: Any, org: dict, tmp_path: Path) -> Project:
    try:
        require_cli()
    except CliMissingError as err:
        if os.environ.get("E2E_REQUIRED"):
            pytest.fail(f"E2E_REQUIRED is set but {err}")
        pytest.skip(f"end-to-end tests need the pulumi CLI and its Python language host: {err}")
    project = Project.copy(tmp_path)
    project.pulumi("stack", "select", "--create", STACK).check()
    path = project.folder / f"Pulumi.{STACK}.yaml"
    salt = [line for line in (path.read_text() if path.is_file() else "").splitlines() if line.startswith("encryption")]
    path.write_text("\n".join([*salt, COMMENTED]))
    return project


def adopt(project: Project, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m program.adopt --stack adoptee <args>`` in the project folder, as a user runs it."""
    done = subprocess.run([sys.executable, "-m", "program.adopt", "--stack", STACK, *args], cwd=project.folder,
                          env=project.env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done


def settings(project: Project) -> dict[str, Any]:
    return dict(yaml.safe_load((project.folder / f"Pulumi.{STACK}.yaml").read_text())["config"])


def writes(endpoint: Any) -> dict[str, int]:
    calls = endpoint.control.calls()
    return {op: calls.get(op, 0) for op in ("AttachPolicy", "DetachPolicy")}


def round_trip(project: Project, endpoint: Any, adopted: int, *args: str) -> None:
    """After ``adopt --write``: preview only creates, up with no attach or detach, then
    no change and nothing more to adopt."""
    path = project.folder / f"Pulumi.{STACK}.yaml"
    assert project.preview() == {"create": adopted + BOOKKEEPING}
    endpoint.control.reset_calls()
    assert project.up() == {"create": adopted + BOOKKEEPING}
    assert writes(endpoint) == {"AttachPolicy": 0, "DetachPolicy": 0}
    assert project.preview() == {"same": adopted + BOOKKEEPING}
    written = path.read_text()
    again = adopt(project, "--write", *args)
    assert again.stdout.startswith("Nothing to add")
    assert path.read_text() == written


def test_sample_organization_round_trip_keeps_comments(project, endpoint, org, orgs_client):
    policies, ous, accounts = org["policies"], org["ous"], org["accounts"]
    orgs_client.attach_policy(PolicyId=policies["DenyRootUser"], TargetId=ous["Root/Workloads/Prod"])
    orgs_client.attach_policy(PolicyId=policies["DenyRootUser"], TargetId=accounts["dev-app"])
    orgs_client.attach_policy(PolicyId=policies["RequireCostCenterTag"], TargetId=ous["Root/Workloads"])
    types = ("--types", f"{SCP},TAG_POLICY")

    done = adopt(project, "--write", *types)
    assert done.stdout.splitlines()[:4] == ["Root: DenyLeaveOrganization", "Root/Workloads: RequireCostCenterTag",
                                            "Root/Workloads/Prod: DenyRootUser", "dev-app: DenyRootUser"]
    text = (project.folder / f"Pulumi.{STACK}.yaml").read_text()
    for line in COMMENTED.splitlines():
        assert line in text  # every line the person wrote, comments included
    assert settings(project)["org-policies:attachments"]["Root"] == [
        {"policy": "DenyLeaveOrganization", "import": True}]

    round_trip(project, endpoint, 4, *types)
    assert project.outputs()["attachments"] == {
        "Root": ["DenyLeaveOrganization"], "Root/Workloads": ["RequireCostCenterTag"],
        "Root/Workloads/Prod": ["DenyRootUser"], "dev-app": ["DenyRootUser"]}


def test_nested_ous_and_ambiguous_names_round_trip_with_an_exclusive_subtree(project, endpoint, org, orgs_client):
    root = org["root"]

    def ou(parent: str, name: str) -> str:
        return str(orgs_client.create_organizational_unit(ParentId=parent, Name=name)["OrganizationalUnit"]["Id"])

    def account(name: str, parent: str) -> str:
        n = len(orgs_client.list_accounts()["Accounts"])
        made = orgs_client.create_account(Email=f"e{n}@example.com", AccountName=name)["CreateAccountStatus"]
        orgs_client.move_account(AccountId=made["AccountId"], SourceParentId=root, DestinationParentId=parent)
        return str(made["AccountId"])

    platform = ou(root, "Platform")
    shared = ou(platform, "Shared")
    tools = ou(shared, "Tools")
    twin_in_tools, twin_in_sandbox = account("builder", tools), account("builder", org["ous"]["Root/Sandbox"])
    slash = ou(org["ous"]["Root/Workloads"], "team/a")  # cannot be written in a path
    deny, regions = org["policies"]["DenyRootUser"], org["policies"]["RestrictRegions"]
    for target in (platform, tools, twin_in_tools, twin_in_sandbox, slash):
        orgs_client.attach_policy(PolicyId=deny, TargetId=target)
    orgs_client.attach_policy(PolicyId=regions, TargetId=shared)

    exclusive = adopt(project, "--write", "--exclusive", "--under", "Root/Platform")
    assert exclusive.stdout.splitlines()[:4] == [
        "Root/Platform: exclusive: DenyRootUser, FullAWSAccess",
        "Root/Platform/Shared: exclusive: FullAWSAccess, RestrictRegions",
        "Root/Platform/Shared/Tools: exclusive: DenyRootUser, FullAWSAccess",
        f"{twin_in_tools}: exclusive: DenyRootUser, FullAWSAccess"]
    listed = adopt(project, "--write")  # the rest of the organization, in list form
    assert listed.stdout.splitlines()[:3] == ["Root: DenyLeaveOrganization", f"{slash}: DenyRootUser",
                                              f"{twin_in_sandbox}: DenyRootUser"]
    declared = settings(project)["org-policies:attachments"]
    assert declared[twin_in_tools] == {"exclusive": True, "policies": ["DenyRootUser", "FullAWSAccess"]}
    assert f"'{twin_in_sandbox}':" in (project.folder / f"Pulumi.{STACK}.yaml").read_text()  # stays a string

    round_trip(project, endpoint, 4 + 3)  # 4 exclusive sets, 3 attachments
    round_trip_exclusive = adopt(project, "--write", "--exclusive", "--under", "Root/Platform")
    assert round_trip_exclusive.stdout.startswith("Nothing to add")
