"""End to end, exclusive targets: the real Pulumi CLI runs the project (or a program of
the user's own code) in a project folder, through Pulumi's Python language host, against
the local endpoint, which refuses a target's last SCP and a sixth one as AWS does."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cli import Project
from tests.conftest import ALLOW_LIST_CONTENT
from tests.test_e2e import STACK, changes, reconfigure, scps, stack, write_settings

FULL = "FullAWSAccess (p-FullAWSAccess)"


@pytest.fixture(autouse=True)
def allow_lists(org: dict, orgs_client) -> None:
    """Two allow-list SCPs (they allow some actions): an exclusive set must keep its target
    able to do something (the lockout rule), so the sets here are built from these."""
    for name in ("AllowListCore", "AllowListApps"):
        org["policies"][name] = orgs_client.create_policy(
            Name=name, Description=name, Type="SERVICE_CONTROL_POLICY", Content=ALLOW_LIST_CONTENT,
        )["Policy"]["PolicySummary"]["Id"]


def exclusive(*policies: str, **extra) -> dict:
    return {"exclusive": True, "policies": list(policies), **extra}


def shown(project: Project) -> str:
    """What ``pulumi preview --diff`` shows, whitespace flattened."""
    return project.pulumi("preview", "--diff").check().text


def test_replace_full_aws_access_by_an_allow_list_on_an_ou(project, endpoint, org, orgs_client):
    ou = org["ous"]["Root/Workloads"]
    stack(project, {"Root/Workloads": exclusive("AllowListCore")})
    assert project.preview() == {"create": 3}  # the stack, the removal limit and the exclusive set
    diff = shown(project)
    assert f"{ou}/SERVICE_CONTROL_POLICY" in diff and FULL in diff  # target and policy named

    endpoint.control.reset_calls()
    assert project.up() == {"create": 3}
    assert scps(orgs_client, ou) == {"AllowListCore"}
    assert changes(endpoint) == {"AttachPolicy": 1, "DetachPolicy": 1}  # attach first, or AWS refuses
    assert project.outputs()["attachments"] == {"Root/Workloads": ["AllowListCore"]}

    endpoint.control.reset_calls()
    assert project.preview() == {"same": 3}
    assert endpoint.control.calls().get("ListPoliciesForTarget") == 1  # one list per exclusive target
    assert changes(endpoint) == {}

    # The target leaves the config (nothing else declared, on purpose): it gets back what the stack found.
    write_settings(project, {"org-policies:attachments": {}, "org-policies:allowEmpty": True})
    project.up()
    assert scps(orgs_client, ou) == {"FullAWSAccess"}


def test_swap_at_ten_detaches_then_attaches(project, endpoint, org, orgs_client, make_scps):
    target = org["accounts"]["dev-app"]
    extra = make_scps(11, allow=True)
    stack(project, {"dev-app": exclusive(*extra[:10])}).up()
    assert scps(orgs_client, target) == {f"AllowList{n}" for n in range(10)}
    reconfigure(project, {"dev-app": exclusive(*extra[:9], extra[10])})
    assert project.preview() == {"update": 1, "same": 2}
    assert f"AllowList9 ({extra[9]})" in shown(project)
    endpoint.control.reset_calls()
    project.up()  # the endpoint refuses an eleventh: the planner detaches first
    assert scps(orgs_client, target) == {f"AllowList{n}" for n in (*range(9), 10)}
    assert changes(endpoint) == {"AttachPolicy": 1, "DetachPolicy": 1}


def test_an_out_of_band_attach_shows_in_refresh_and_preview_and_goes_with_up(project, endpoint, org, orgs_client):
    ou, deny = org["ous"]["Root/Workloads/Prod"], org["policies"]["DenyRootUser"]
    stack(project, {"Root/Workloads/Prod": exclusive("FullAWSAccess", "AllowListCore")}).up()
    orgs_client.attach_policy(PolicyId=deny, TargetId=ou)  # by hand, in the console
    assert project.refresh().get("update") == 1
    [state] = [r for r in project.export()["resources"] if r["type"].endswith("ExclusivePolicies")]
    assert state["outputs"]["attached"] == sorted(["p-FullAWSAccess", org["policies"]["AllowListCore"], deny])
    assert project.preview() == {"update": 1, "same": 2}
    assert f"DenyRootUser ({org['policies']['DenyRootUser']})" in shown(project)
    endpoint.control.reset_calls()
    project.up()
    assert scps(orgs_client, ou) == {"FullAWSAccess", "AllowListCore"}
    assert changes(endpoint) == {"DetachPolicy": 1}
    assert project.preview() == {"same": 3}


def test_a_declared_set_of_eleven_is_refused_at_preview(project, endpoint, org, orgs_client, make_scps):
    ou = org["ous"]["Root/Sandbox"]
    stack(project, {"Root/Sandbox": exclusive(*make_scps(11, allow=True))})
    endpoint.control.reset_calls()
    message = project.refused("preview")
    assert ou in message and "11 policies are declared and at most 10 are allowed on one target" in message
    assert "Limits: 1 to 10 per target (AWS, as of 2026-12-03)." in message
    assert "Traceback" not in message
    assert changes(endpoint) == {}
    assert scps(orgs_client, ou) == {"FullAWSAccess"}


def test_skip_destroy_then_destroy_leaves_the_allow_list_in_place(project, endpoint, org, orgs_client):
    sandbox = org["accounts"]["sandbox-1"]
    stack(project, {"sandbox-1": exclusive("AllowListApps", skip_destroy=True),
                    "Root/Sandbox": exclusive("AllowListCore")}).up()
    assert scps(orgs_client, sandbox) == {"AllowListApps"}
    project.destroy("--run-program")
    assert scps(orgs_client, sandbox) == {"AllowListApps"}  # skip_destroy: left as it is
    assert scps(orgs_client, org["ous"]["Root/Sandbox"]) == {"FullAWSAccess"}  # given back


CODE_PROGRAM = '''"""The user's own code: an exclusive set "owned" on a target and, when the stack
config says withAttachment: true, a PolicyAttachment "extra" of another SCP on it."""

import pulumi

import provider
from program import main


def declare() -> None:
    config = pulumi.Config()
    provider.register_guard()
    target = config.require("target")
    provider.ExclusivePolicies("owned", target_id=target, policy_ids=[config.require("owned")])
    if config.get_bool("withAttachment"):
        provider.PolicyAttachment("extra", policy_id=config.require("extra"), target_id=target)


main(declare)
'''


def code_stack(work: Path, config: dict[str, str], program: str = CODE_PROGRAM) -> Project:
    """A project of the user's own code (``program``) with ``config``, set with
    ``pulumi config set`` as a user would."""
    code = Project.generated(work, "exclusive-e2e", program)
    code.select(STACK)
    for key, value in config.items():
        code.pulumi("config", "set", key, value).check()
    return code


def test_a_policy_attachment_on_an_exclusive_target_is_refused_at_preview(
        tmp_path, pulumi_cli, endpoint, org, orgs_client):
    account, p = org["accounts"]["sandbox-1"], org["policies"]
    ids = {"target": account, "owned": p["AllowListApps"], "extra": p["AllowListCore"]}
    code = code_stack(tmp_path, ids)
    code.up()
    code.pulumi("config", "set", "withAttachment", "true").check()  # added later: the attachment's own hook refuses it
    endpoint.control.reset_calls()
    message = code.refused("preview")
    assert f"AllowListCore ({p['AllowListCore']})" in message and account in message
    assert "exclusive set owned" in message and changes(endpoint) == {}

    fresh = code_stack(tmp_path / "both-new", {**ids, "withAttachment": "true"})  # both new in one update: refused too
    message = fresh.refused("preview")
    assert "exclusive set" in message and account in message
    assert scps(orgs_client, account) == {"AllowListApps"}


def test_handing_a_target_over_to_attachments_needs_skip_destroy_first(project, endpoint, org, orgs_client):
    ou = org["ous"]["Root/Workloads"]
    stack(project, {"Root/Workloads": exclusive("AllowListCore")}).up()
    listed = {"Root/Workloads": [{"policy": "AllowListCore", "import": True}]}
    reconfigure(project, listed)
    endpoint.control.reset_calls()
    message = project.refused("preview")  # deleting the set would detach the adopted AllowListCore
    assert ou in message and "skip_destroy: true" in message and "two updates" in message
    assert changes(endpoint) == {}

    reconfigure(project, {"Root/Workloads": exclusive("AllowListCore", skip_destroy=True)})
    project.up()
    reconfigure(project, listed)
    assert project.up() == {"create": 1, "delete": 1, "update": 1, "same": 1}  # update: the stack's record
    assert scps(orgs_client, ou) == {"AllowListCore"}  # released as it was, then adopted


def test_removing_a_target_that_cannot_get_its_policies_back_fails_at_preview(
        project, endpoint, org, orgs_client, make_scps):
    account = org["accounts"]["prod-app"]
    extra = make_scps(11, allow=True)
    for policy in extra[1:6]:
        orgs_client.attach_policy(PolicyId=policy, TargetId=account)  # found: FullAWSAccess and five
    stack(project, {"prod-app": exclusive(extra[0]), "Root/Sandbox": exclusive("FullAWSAccess")}).up()
    for policy in extra[6:11]:
        orgs_client.attach_policy(PolicyId=policy, TargetId=account)  # five more by hand: eleven to give back
    reconfigure(project, {"Root/Sandbox": exclusive("FullAWSAccess")})
    endpoint.control.reset_calls()
    message = project.refused("preview")
    assert account in message and "at most 10" in message and "skip_destroy: true" in message
    assert changes(endpoint) == {}


def test_making_a_listed_target_exclusive_needs_skip_destroy_first(project, endpoint, org, orgs_client):
    ou = org["ous"]["Root/Workloads"]
    stack(project, {"Root/Workloads": ["AllowListCore"]}).up()
    reconfigure(project, {"Root/Workloads": exclusive("AllowListCore")})
    endpoint.control.reset_calls()
    message = project.refused("preview")  # the attachment's detach would run after the set took over
    assert ou in message and "becomes exclusive" in message and "skip_destroy: true" in message
    assert changes(endpoint) == {}

    reconfigure(project, {"Root/Workloads": [{"policy": "AllowListCore", "skip_destroy": True}]})
    project.up()
    reconfigure(project, {"Root/Workloads": exclusive("AllowListCore")})
    project.up()
    assert scps(orgs_client, ou) == {"AllowListCore"}
