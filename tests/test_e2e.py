"""End to end, the way a user runs the project: in a copy of its files, the real Pulumi CLI
(``pulumi stack select --create``, the stack's settings file, ``preview``, ``up``,
``refresh``, ``destroy --run-program``; ``file://`` backend, passphrase) starts Pulumi's
Python language host, which runs ``__main__.py`` against the local endpoint.

These tests skip, with the reason, where no ``pulumi`` 3.182+ with its Python language
host is on PATH; ``scripts/test`` and ``.ci/run`` build both (``scripts/install-pulumi``)
and put them there, and ``.ci/run`` makes a missing one a failure (``E2E_REQUIRED``).
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import provider
from harness.cli import Project

SCP = "SERVICE_CONTROL_POLICY"
DELETE_HOOK = provider.guard.BEFORE_DELETE_HOOK
STACK = "e2e"


def scps(client: Any, target: str) -> set[str]:
    return {p["Name"] for p in client.list_policies_for_target(TargetId=target, Filter=SCP)["Policies"]}


def settings(attachments: Any, **more: Any) -> dict[str, Any]:
    """A stack config: the region, ``org-policies:attachments`` and ``more`` (keys as written)."""
    return {"aws:region": "us-east-1", "org-policies:attachments": attachments, **more}


def stack(project: Project, attachments: Any) -> Project:
    """``project`` with the stack ``e2e`` selected (created), declaring ``attachments``."""
    project.select(STACK, settings(attachments))
    return project


def reconfigure(project: Project, attachments: Any) -> None:
    project.write_config(STACK, settings(attachments))


def write_settings(project: Project, config: dict[str, Any]) -> None:
    project.write_config(STACK, {"aws:region": "us-east-1", **config})


def changes(endpoint: Any) -> dict[str, int]:
    calls = endpoint.control.calls()
    return {op: calls.get(op, 0) for op in ("AttachPolicy", "DetachPolicy") if calls.get(op)}


def test_sample_stack_up_then_nothing_to_change(project, endpoint, org, orgs_client):
    local = project.folder / "Pulumi.local.yaml"
    checked_in = local.read_bytes()
    project.pulumi("stack", "select", "--create", "local").check()
    assert project.up() == {"create": 7}  # 5 attachments, the removal limit, the stack
    assert project.outputs()["attachments"]["sandbox-1"] == ["DenyRootUser"]
    assert scps(orgs_client, org["accounts"]["sandbox-1"]) == {"FullAWSAccess", "DenyRootUser"}
    assert changes(endpoint) == {"AttachPolicy": 4}  # DenyLeaveOrganization was adopted, not attached
    endpoint.control.reset_calls()
    assert project.preview() == {"same": 7}
    assert changes(endpoint) == {}
    assert local.read_bytes() == checked_in  # its salt is the passphrase's: the CLI rewrites nothing


def test_preview_fails_before_a_target_loses_its_last_scp(project, endpoint, org, orgs_client):
    sandbox = org["accounts"]["sandbox-1"]
    stack(project, {"sandbox-1": ["DenyRootUser"], "Root/Workloads": ["RestrictRegions"]}).up()
    orgs_client.detach_policy(PolicyId="p-FullAWSAccess", TargetId=sandbox)  # DenyRootUser is now its only SCP
    reconfigure(project, {"Root/Workloads": ["RestrictRegions"]})
    endpoint.control.reset_calls()

    message = project.refused("preview")
    assert f'before hook "{DELETE_HOOK}" failed' in message
    assert f"DenyRootUser ({org['policies']['DenyRootUser']})" in message and sandbox in message
    assert "last service control policy" in message and "skip_destroy=True" in message
    assert changes(endpoint) == {}
    assert endpoint.control.calls().get("ListPoliciesForTarget") == 1  # one list, for the one affected target

    message = project.refused("up")  # `pulumi up` refuses at the same point, before any change
    assert f'before hook "{DELETE_HOOK}" failed' in message
    assert scps(orgs_client, sandbox) == {"DenyRootUser"} and changes(endpoint) == {}


def test_the_same_change_with_a_replacement_scp_passes_preview_and_up(project, endpoint, org, orgs_client):
    sandbox = org["accounts"]["sandbox-1"]
    stack(project, {"sandbox-1": ["DenyRootUser"]}).up()
    orgs_client.detach_policy(PolicyId="p-FullAWSAccess", TargetId=sandbox)
    reconfigure(project, {"sandbox-1": ["RestrictRegions"]})
    # the stack's record (removal-limit) is updated whenever the declared entries change
    assert project.preview() == {"create": 1, "delete": 1, "update": 1, "same": 1}
    assert project.up() == {"create": 1, "delete": 1, "update": 1, "same": 1}
    assert scps(orgs_client, sandbox) == {"RestrictRegions"}


ALLOW_LIST = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:*","s3:*"],"Resource":"*"}]}'


def test_preview_fails_before_an_ou_is_left_with_deny_only_scps_and_passes_with_an_allow_list(
        project, endpoint, org, orgs_client):
    """Removing FullAWSAccess from an OU that keeps DenyRootUser: AWS would accept it and
    lock every account below out; the preview refuses. With an allow-list SCP declared in
    the same change it passes, and `up` swaps them (attach first, then detach)."""
    sandbox = org["ous"]["Root/Sandbox"]
    orgs_client.create_policy(Name="AllowComputeAndStorage", Description="allow-list", Type=SCP,
                              Content=ALLOW_LIST)
    stack(project, {"Root/Sandbox": [{"policy": "FullAWSAccess", "import": True}, "DenyRootUser"]}).up()
    reconfigure(project, {"Root/Sandbox": ["DenyRootUser"]})
    endpoint.control.reset_calls()

    message = project.refused("preview")
    assert f'before hook "{DELETE_HOOK}" failed' in message
    for part in (f"Refusing to detach FullAWSAccess (p-FullAWSAccess) from Root/Sandbox ({sandbox}): the SCPs it "
                 f"would keep allow no action at all, locking out the 1 account of Root/Sandbox ({sandbox}).",
                 f"It would keep: DenyRootUser ({org['policies']['DenyRootUser']})",
                 '"Effect": "Deny", "Action": "*"', "allow-list"):
        assert part in message
    assert "Traceback" not in message
    assert changes(endpoint) == {}
    # DenyRootUser's document, once (the guard); FullAWSAccess's name and type, once (the summary)
    assert endpoint.control.calls().get("DescribePolicy") == 2

    reconfigure(project, {"Root/Sandbox": ["DenyRootUser", "AllowComputeAndStorage"]})
    assert project.preview() == {"create": 1, "delete": 1, "update": 1, "same": 2}
    assert project.up() == {"create": 1, "delete": 1, "update": 1, "same": 2}
    assert scps(orgs_client, sandbox) == {"DenyRootUser", "AllowComputeAndStorage"}


def test_refresh_drops_an_attachment_detached_out_of_band(project, endpoint, org, orgs_client):
    stack(project, {"Root/Workloads": ["RestrictRegions", "DenyRootUser"]}).up()
    orgs_client.detach_policy(PolicyId=org["policies"]["RestrictRegions"], TargetId=org["ous"]["Root/Workloads"])
    assert project.refresh().get("delete") == 1
    assert project.preview() == {"create": 1, "same": 3}
    project.up()
    assert scps(orgs_client, org["ous"]["Root/Workloads"]) == {"FullAWSAccess", "RestrictRegions", "DenyRootUser"}


def test_import_adopts_an_existing_attachment_by_id(project, endpoint, org, orgs_client):
    root = org["root"]
    stack(project, {root: [{"policy": org["policies"]["DenyLeaveOrganization"], "import": True}]})
    assert project.up() == {"create": 3}  # the stack, the removal limit, the attachment
    assert changes(endpoint) == {}
    ids = [r.get("id") for r in project.export()["resources"] if r["type"].endswith("PolicyAttachment")]
    assert ids == [f"{root}:{org['policies']['DenyLeaveOrganization']}"]
    reconfigure(project, {root: [org["policies"]["DenyLeaveOrganization"]]})  # the import flag may go
    assert project.preview() == {"same": 2, "update": 1}  # nothing in AWS; the stack's record notes the flag


def test_plain_declaration_of_an_existing_attachment_fails_preview_with_the_import_option(project, org):
    message = stack(project, {"Root": ["DenyLeaveOrganization"]}).refused("preview")
    assert f'import_="{org["root"]}:{org["policies"]["DenyLeaveOrganization"]}"' in message
    assert "Traceback" not in message


SLOT_PROGRAM = '''"""One PolicyAttachment, "slot": its policy and target from the stack config
(`pulumi config set policy p-...` changes its policy_id, which replaces it)."""

import pulumi

import provider
from program import main


def slot() -> None:
    config = pulumi.Config()
    provider.register_guard()
    provider.PolicyAttachment("slot", policy_id=config.require("policy"), target_id=config.require("target"))


main(slot)
'''


def slot_stack(tmp_path: Path, target: str, policy: str) -> Project:
    """A program of the user's own code: one PolicyAttachment ("slot") on ``target``;
    ``pulumi config set policy <id>`` changes its policy_id, which replaces it."""
    slot = Project.generated(tmp_path, "guard-e2e", SLOT_PROGRAM)
    slot.select(STACK)
    slot.pulumi("config", "set", "target", target).check()
    slot.pulumi("config", "set", "policy", policy).check()
    return slot


def test_a_replace_at_ten_scps_is_refused_at_preview(tmp_path, pulumi_cli, endpoint, org, orgs_client,
                                                     make_scps):
    """A true replacement (policy_id of one resource changes): Pulumi creates the
    new attachment before deleting the old one, so it needs an eleventh slot."""
    target = org["accounts"]["dev-app"]
    for policy in make_scps(8):
        orgs_client.attach_policy(PolicyId=policy, TargetId=target)
    slot = slot_stack(tmp_path, target, org["policies"]["RestrictRegions"])
    slot.up()
    assert len(scps(orgs_client, target)) == 10
    slot.pulumi("config", "set", "policy", org["policies"]["DenyRootUser"]).check()
    endpoint.control.reset_calls()
    message = slot.refused("preview")
    assert "has a problem: Refusing to attach" in message  # the provider's check
    assert "AWS allows at most 10" in message and "delete_before_replace=True" in message
    assert changes(endpoint) == {}


def test_a_replace_of_a_targets_only_scp_passes(tmp_path, pulumi_cli, endpoint, org, orgs_client):
    """The old half's delete is checked with the new half counted."""
    target = org["accounts"]["sandbox-1"]
    slot = slot_stack(tmp_path, target, org["policies"]["DenyRootUser"])
    slot.up()
    orgs_client.detach_policy(PolicyId="p-FullAWSAccess", TargetId=target)
    slot.pulumi("config", "set", "policy", org["policies"]["RestrictRegions"]).check()
    assert slot.preview() == {"replace": 1, "same": 1}
    slot.up()
    assert scps(orgs_client, target) == {"RestrictRegions"}


def test_destroy_needs_run_program_and_then_detaches(project, endpoint, org, orgs_client):
    project.select("local")
    project.up()
    assert "--run-program" in project.refused("destroy")
    assert project.destroy("--run-program")["delete"] == 7
    assert scps(orgs_client, org["accounts"]["sandbox-1"]) == {"FullAWSAccess"}
    assert scps(orgs_client, org["root"]) == {"FullAWSAccess", "DenyLeaveOrganization"}  # skip_destroy


def test_destroy_refuses_a_targets_last_scp_and_points_to_skip_destroy(project, endpoint, org, orgs_client):
    sandbox = org["accounts"]["sandbox-1"]
    stack(project, {"sandbox-1": ["DenyRootUser"]}).up()
    orgs_client.detach_policy(PolicyId="p-FullAWSAccess", TargetId=sandbox)
    endpoint.control.reset_calls()
    message = project.refused("destroy", "--run-program")
    assert f'before hook "{DELETE_HOOK}" failed' in message and "skip_destroy=True" in message
    assert scps(orgs_client, sandbox) == {"DenyRootUser"} and changes(endpoint) == {}


def test_destroy_refuses_leaving_an_ou_with_deny_only_scps_and_points_to_skip_destroy(
        project, endpoint, org, orgs_client):
    """The stack manages FullAWSAccess on an OU that also carries a deny SCP attached
    outside the stack: destroying it would lock the OU's accounts out."""
    sandbox = org["ous"]["Root/Sandbox"]
    stack(project, {"Root/Sandbox": [{"policy": "FullAWSAccess", "import": True}]}).up()
    orgs_client.attach_policy(PolicyId=org["policies"]["DenyRootUser"], TargetId=sandbox)
    endpoint.control.reset_calls()
    message = project.refused("destroy", "--run-program")
    assert f'before hook "{DELETE_HOOK}" failed' in message
    assert "allow no action at all" in message and "skip_destroy" in message
    assert scps(orgs_client, sandbox) == {"FullAWSAccess", "DenyRootUser"} and changes(endpoint) == {}


# -- failing safe ----------------------------------------------------------------------


def test_a_misspelt_missing_or_empty_attachments_key_fails_preview_and_detaches_nothing(
        project, endpoint, org, orgs_client):
    attachments = {"sandbox-1": ["DenyRootUser"], "Root/Workloads": ["RestrictRegions"]}
    stack(project, attachments).up()
    endpoint.control.reset_calls()
    # (settings, words the failure must show)
    for config, words in [
        ({"org-policy:attachments": attachments}, ["org-policy:attachments", "org-policies:attachments"]),
        ({"orgpolicies:attachments": attachments}, ["Rename the key to org-policies:attachments"]),
        ({"org-policies:attachment": attachments}, ["did you mean org-policies:attachments?"]),
        ({}, ["org-policies:attachments: is not set", "org-policies:allowEmpty: true"]),
        ({"org-policies:attachments": None}, ["org-policies:attachments: has no value"]),
        ({"org-policies:attachments": {}}, ["org-policies:attachments: is empty"]),
        ({"org-policies:attachments": attachments, "policyAttachment:maxAttempts": "abc"},
         ["policyAttachment:maxAttempts: must be a whole number from 1 to 50", "not 'abc'"]),
    ]:
        write_settings(project, config)
        message = project.refused("preview")
        for word in words:
            assert word in message, f"{word!r} not in {message!r}"
        assert "Traceback" not in message and "an unhandled error occurred" not in message, message
    assert changes(endpoint) == {}
    assert scps(orgs_client, org["accounts"]["sandbox-1"]) == {"FullAWSAccess", "DenyRootUser"}


def test_removing_more_than_max_removals_needs_a_deliberate_setting(project, endpoint, org, orgs_client):
    accounts = ["security-tooling", "prod-app", "dev-app", "sandbox-1"]
    full = {name: ["DenyRootUser", "RestrictRegions"] for name in accounts}  # 8 attachments
    stack(project, full).up()
    kept = {"sandbox-1": ["DenyRootUser"]}  # 7 removed, 5 allowed by default
    write_settings(project, {"org-policies:attachments": kept})
    endpoint.control.reset_calls()
    message = project.refused("preview")
    assert ("Refusing this update: it removes 7 attachments from the stack, more than org-policies:maxRemovals "
            "allows (5)") in message
    assert "dev-app: DenyRootUser" in message and "sandbox-1: RestrictRegions" in message
    assert "refused: 7 removals, more than org-policies:maxRemovals (5) allows" in message  # the summary says so
    assert "org-policies:maxRemovals: 7" in message
    assert changes(endpoint) == {}
    message = project.refused("up")
    assert "removes 7 attachments" in message and changes(endpoint) == {}

    write_settings(project, {"org-policies:attachments": kept, "org-policies:maxRemovals": 7})
    assert project.preview() == {"delete": 7, "update": 1, "same": 2}
    # Removals count against what the last update declared: after removing 2, 5 more pass.
    write_settings(project, {"org-policies:attachments": {k: v for k, v in full.items() if k != "dev-app"}})
    assert project.up() == {"delete": 2, "update": 1, "same": 7}
    write_settings(project, {"org-policies:attachments": kept})
    assert project.preview() == {"delete": 5, "update": 1, "same": 2}
    # Everything, on purpose: an empty map plus allowEmpty lifts the limit.
    write_settings(project, {"org-policies:attachments": {}, "org-policies:allowEmpty": True})
    assert project.up() == {"delete": 6, "update": 1, "same": 1}
    assert all(scps(orgs_client, org["accounts"][name]) == {"FullAWSAccess"} for name in accounts)


def test_a_vanished_ou_fails_preview_with_the_way_forward_and_destroy_still_runs(
        project, endpoint, org, orgs_client):
    temp = orgs_client.create_organizational_unit(ParentId=org["root"], Name="Temp")["OrganizationalUnit"]["Id"]
    stack(project, {"Root/Temp": ["DenyRootUser"], "sandbox-1": ["DenyRootUser"]}).up()
    orgs_client.delete_organizational_unit(OrganizationalUnitId=temp)  # by hand, out of band
    endpoint.control.reset_calls()

    message = project.refused("preview")
    assert "organizational unit 'Root/Temp' matches nothing" in message
    assert 'org-policies:attachments, target "Root/Temp"' in message
    assert "still holds its attachments (DenyRootUser)" in message and "remove this entry" in message
    assert "Traceback" not in message and changes(endpoint) == {}
    assert "Resource monitor has terminated" not in message and "1 errored" in message
    # An update stops at the same check before any change, a new attachment included.
    reconfigure(project, {"Root/Temp": ["DenyRootUser"], "sandbox-1": ["DenyRootUser", "RestrictRegions"]})
    assert "'Root/Temp' matches nothing" in project.refused("up")
    assert changes(endpoint) == {}

    destroyed = project.destroy("--run-program")  # needs no name from the config
    assert destroyed.get("delete") == 4  # 2 attachments, the removal limit, the stack
    assert not project.export().get("resources")  # nothing unresolved was ever stored
    assert scps(orgs_client, org["accounts"]["sandbox-1"]) == {"FullAWSAccess"}


def test_import_left_in_config_reattaches_after_refresh_dropped_the_attachment(
        project, endpoint, org, orgs_client):
    deny_leave = org["policies"]["DenyLeaveOrganization"]
    stack(project, {"Root": [{"policy": "DenyLeaveOrganization", "import": True}]}).up()
    assert changes(endpoint) == {}  # adopted
    orgs_client.detach_policy(PolicyId=deny_leave, TargetId=org["root"])  # drift, by hand
    assert project.refresh().get("delete") == 1
    endpoint.control.reset_calls()
    assert project.up() == {"create": 1, "same": 2}
    assert changes(endpoint) == {"AttachPolicy": 1}
    assert scps(orgs_client, org["root"]) == {"FullAWSAccess", "DenyLeaveOrganization"}


def test_an_eleventh_scp_from_config_is_refused_naming_the_entry_and_a_way_out_for_config(
        project, endpoint, org, orgs_client, make_scps):
    target = org["accounts"]["dev-app"]
    for policy in make_scps(8):
        orgs_client.attach_policy(PolicyId=policy, TargetId=target)  # with FullAWSAccess: 9 SCPs
    stack(project, {"dev-app": ["DenyRootUser", "RestrictRegions"]})
    endpoint.control.reset_calls()
    message = project.refused("preview")
    assert "has a problem: Refusing to attach " in message
    assert 'Declared at: org-policies:attachments, target "dev-app", policy "' in message
    assert "it would carry 11 service control policy (SCP)s, and AWS allows at most 10" in message
    assert "Extra0 (" in message
    assert f"declare fewer service control policy (SCP)s on account dev-app ({target}): it can carry 10" in message
    assert "remove it in one `pulumi up` and add the new one in the next" in message
    assert changes(endpoint) == {}


def test_run_local_runs_the_sample_stack_and_leaves_git_status_clean(project):
    """``scripts/run-local --destroy`` as a newcomer types it, in a checkout of the project:
    the endpoint, then stack select, preview, up and destroy in the project folder, and
    nothing left to commit (the state is in the git-ignored .pulumi-state/local)."""
    checkout = project.folder
    for git in (["init", "--quiet"], ["add", "-A"],
                ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "--quiet", "-m", "checkout"]):
        subprocess.run(["git", *git], cwd=checkout, check=True, timeout=60, capture_output=True)

    run = subprocess.run(["scripts/run-local", "--destroy"], cwd=checkout, capture_output=True, text=True,
                         timeout=600, stdin=subprocess.DEVNULL)
    assert run.returncode == 0, run.stdout + run.stderr
    for step in ("=== pulumi stack select --create local ===", "=== pulumi preview ===", "+ 7 to create",
                 "=== pulumi up --yes ===", "+ 7 created", "attachments: {",
                 "=== pulumi destroy --yes --run-program ===", "- 7 deleted",
                 "AWS Organizations calls made: {'AttachPolicy': 4"):
        assert step in run.stdout, f"{step!r} not in:\n{run.stdout}"
    assert "error" not in run.stdout.lower(), run.stdout
    status = subprocess.run(["git", "status", "--porcelain"], cwd=checkout, capture_output=True, text=True,
                            check=True, timeout=60).stdout
    assert status == "", status
