"""End to end: the real Pulumi CLI (through the Automation API, file:// backend,
passphrase secrets) runs this project's program against the local endpoint.

The program runs inline (``program.automation``): the CLI alone suffices, no
Python language host. These tests skip, with the reason, where no recent
``pulumi`` CLI is on PATH; ``scripts/test`` and ``.ci/run`` build one
(``scripts/install-pulumi``) and put it there.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from pulumi import automation as auto

import provider
from program import automation

ROOT = Path(__file__).resolve().parent.parent
SCP = "SERVICE_CONTROL_POLICY"
DELETE_HOOK = provider.guard.BEFORE_DELETE_HOOK


@pytest.fixture(scope="module", autouse=True)
def cli() -> None:
    try:
        automation.require_cli()
    except automation.CliMissingError as err:
        if os.environ.get("E2E_REQUIRED"):  # CI builds the CLI: a missing one is a failure there
            pytest.fail(f"E2E_REQUIRED is set but {err}")
        pytest.skip(f"end-to-end tests need the pulumi CLI: {err}")


def scps(client: Any, target: str) -> set[str]:
    return {p["Name"] for p in client.list_policies_for_target(TargetId=target, Filter=SCP)["Policies"]}


def stack(tmp_path: Path, attachments: dict[str, Any]) -> auto.Stack:
    return automation.open_stack("e2e", tmp_path, {"aws:region": "us-east-1",
                                                   "org-policies:attachments": attachments})


def reconfigure(tmp_path: Path, attachments: dict[str, Any]) -> None:
    automation.write_config(tmp_path, "e2e", {"aws:region": "us-east-1",
                                              "org-policies:attachments": attachments})


def failure(fn) -> str:
    with pytest.raises(auto.CommandError) as err:
        fn()
    return re.sub(r"\s+", " ", str(err.value))


def changes(endpoint: Any) -> dict[str, int]:
    calls = endpoint.control.calls()
    return {op: calls.get(op, 0) for op in ("AttachPolicy", "DetachPolicy") if calls.get(op)}


def test_sample_stack_up_then_nothing_to_change(tmp_path, endpoint, org, orgs_client):
    config = automation.stack_config_file(ROOT / "Pulumi.local.yaml")
    st = automation.open_stack("local", tmp_path, config)
    result = st.up()
    assert result.summary.resource_changes == {"create": 7}  # 5 attachments, the removal limit, the stack
    assert result.outputs["attachments"].value["sandbox-1"] == ["DenyRootUser"]
    assert scps(orgs_client, org["accounts"]["sandbox-1"]) == {"FullAWSAccess", "DenyRootUser"}
    assert changes(endpoint) == {"AttachPolicy": 4}  # DenyLeaveOrganization was adopted, not attached
    endpoint.control.reset_calls()
    assert st.preview().change_summary == {"same": 7}
    assert changes(endpoint) == {}


def test_preview_fails_before_a_target_loses_its_last_scp(tmp_path, endpoint, org, orgs_client):
    sandbox = org["accounts"]["sandbox-1"]
    st = stack(tmp_path, {"sandbox-1": ["DenyRootUser"], "Root/Workloads": ["RestrictRegions"]})
    st.up()
    orgs_client.detach_policy(PolicyId="p-FullAWSAccess", TargetId=sandbox)  # DenyRootUser is now its only SCP
    reconfigure(tmp_path, {"Root/Workloads": ["RestrictRegions"]})
    endpoint.control.reset_calls()

    message = failure(st.preview)
    assert f'before hook "{DELETE_HOOK}" failed' in message
    assert f"DenyRootUser ({org['policies']['DenyRootUser']})" in message and sandbox in message
    assert "last service control policy" in message and "skip_destroy=True" in message
    assert changes(endpoint) == {}
    assert endpoint.control.calls().get("ListPoliciesForTarget") == 1  # one list, for the one affected target

    message = failure(lambda: st.up())  # `pulumi up` refuses at the same point, before any change
    assert f'before hook "{DELETE_HOOK}" failed' in message
    assert scps(orgs_client, sandbox) == {"DenyRootUser"} and changes(endpoint) == {}


def test_the_same_change_with_a_replacement_scp_passes_preview_and_up(tmp_path, endpoint, org, orgs_client):
    sandbox = org["accounts"]["sandbox-1"]
    st = stack(tmp_path, {"sandbox-1": ["DenyRootUser"]})
    st.up()
    orgs_client.detach_policy(PolicyId="p-FullAWSAccess", TargetId=sandbox)
    reconfigure(tmp_path, {"sandbox-1": ["RestrictRegions"]})
    assert st.preview().change_summary == {"create": 1, "delete": 1, "same": 2}
    assert st.up().summary.resource_changes == {"create": 1, "delete": 1, "same": 2}
    assert scps(orgs_client, sandbox) == {"RestrictRegions"}


ALLOW_LIST = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:*","s3:*"],"Resource":"*"}]}'


def test_preview_fails_before_an_ou_is_left_with_deny_only_scps_and_passes_with_an_allow_list(
        tmp_path, endpoint, org, orgs_client):
    """Removing FullAWSAccess from an OU that keeps DenyRootUser: AWS would accept it and
    lock every account below out; the preview refuses. With an allow-list SCP declared in
    the same change it passes, and `up` swaps them (attach first, then detach)."""
    sandbox = org["ous"]["Root/Sandbox"]
    orgs_client.create_policy(Name="AllowComputeAndStorage", Description="allow-list", Type=SCP,
                              Content=ALLOW_LIST)
    st = stack(tmp_path, {"Root/Sandbox": [{"policy": "FullAWSAccess", "import": True}, "DenyRootUser"]})
    st.up()
    reconfigure(tmp_path, {"Root/Sandbox": ["DenyRootUser"]})
    endpoint.control.reset_calls()

    message = failure(st.preview)
    assert f'before hook "{DELETE_HOOK}" failed' in message
    for part in (f"Refusing to detach FullAWSAccess (p-FullAWSAccess) from {sandbox} (Sandbox)",
                 f"DenyRootUser ({org['policies']['DenyRootUser']})", "allow no action at all",
                 "the 1 account of OU", '"Effect": "Deny", "Action": "*"', "allow-list"):
        assert part in message
    assert "Traceback" not in message
    assert changes(endpoint) == {}
    assert endpoint.control.calls().get("DescribePolicy") == 1  # DenyRootUser's document, once

    reconfigure(tmp_path, {"Root/Sandbox": ["DenyRootUser", "AllowComputeAndStorage"]})
    assert st.preview().change_summary == {"create": 1, "delete": 1, "same": 3}
    assert st.up().summary.resource_changes == {"create": 1, "delete": 1, "same": 3}
    assert scps(orgs_client, sandbox) == {"DenyRootUser", "AllowComputeAndStorage"}


def test_refresh_drops_an_attachment_detached_out_of_band(tmp_path, endpoint, org, orgs_client):
    st = stack(tmp_path, {"Root/Workloads": ["RestrictRegions", "DenyRootUser"]})
    st.up()
    orgs_client.detach_policy(PolicyId=org["policies"]["RestrictRegions"], TargetId=org["ous"]["Root/Workloads"])
    result = st.refresh()
    assert result.summary.resource_changes.get("delete") == 1
    assert st.preview().change_summary == {"create": 1, "same": 3}
    st.up()
    assert scps(orgs_client, org["ous"]["Root/Workloads"]) == {"FullAWSAccess", "RestrictRegions", "DenyRootUser"}


def test_import_adopts_an_existing_attachment_by_id(tmp_path, endpoint, org, orgs_client):
    root = org["root"]
    st = stack(tmp_path, {root: [{"policy": org["policies"]["DenyLeaveOrganization"], "import": True}]})
    assert st.up().summary.resource_changes == {"create": 3}  # the stack, the removal limit, the attachment
    assert changes(endpoint) == {}
    exported = st.export_stack().deployment["resources"]
    ids = [r.get("id") for r in exported if r["type"].endswith("PolicyAttachment")]
    assert ids == [f"{root}:{org['policies']['DenyLeaveOrganization']}"]
    reconfigure(tmp_path, {root: [org["policies"]["DenyLeaveOrganization"]]})  # the import flag may go
    assert st.preview().change_summary == {"same": 3}


def test_plain_declaration_of_an_existing_attachment_fails_preview_with_the_import_option(tmp_path, org):
    st = stack(tmp_path, {"Root": ["DenyLeaveOrganization"]})
    message = failure(st.preview)
    assert f'import_="{org["root"]}:{org["policies"]["DenyLeaveOrganization"]}"' in message
    assert "Traceback" not in message


def test_a_replace_at_five_scps_is_refused_at_preview(tmp_path, endpoint, org, orgs_client, make_scps):
    """A true replacement (policy_id of one resource changes): Pulumi creates the
    new attachment before deleting the old one, so it needs a sixth slot."""
    target = org["accounts"]["dev-app"]
    for policy in make_scps(3):
        orgs_client.attach_policy(PolicyId=policy, TargetId=target)
    st, chosen = slot_stack(tmp_path, target, org["policies"]["RestrictRegions"])
    st.up()
    assert len(scps(orgs_client, target)) == 5
    chosen["policy"] = org["policies"]["DenyRootUser"]
    endpoint.control.reset_calls()
    message = failure(st.preview)
    assert "has a problem: Refusing to attach" in message  # the provider's check
    assert "at most 5" in message and "delete_before_replace=True" in message
    assert changes(endpoint) == {}


def test_a_replace_of_a_targets_only_scp_passes(tmp_path, endpoint, org, orgs_client):
    """The old half's delete is checked with the new half counted."""
    target = org["accounts"]["sandbox-1"]
    st, chosen = slot_stack(tmp_path, target, org["policies"]["DenyRootUser"])
    st.up()
    orgs_client.detach_policy(PolicyId="p-FullAWSAccess", TargetId=target)
    chosen["policy"] = org["policies"]["RestrictRegions"]
    assert st.preview().change_summary == {"replace": 1, "same": 1}
    st.up()
    assert scps(orgs_client, target) == {"RestrictRegions"}


def test_destroy_needs_run_program_and_then_detaches(tmp_path, endpoint, org, orgs_client):
    config = automation.stack_config_file(ROOT / "Pulumi.local.yaml")
    st = automation.open_stack("local", tmp_path, config)
    st.up()
    message = failure(st.destroy)
    assert "--run-program" in message
    assert st.destroy(run_program=True).summary.resource_changes["delete"] == 7
    assert scps(orgs_client, org["accounts"]["sandbox-1"]) == {"FullAWSAccess"}
    assert scps(orgs_client, org["root"]) == {"FullAWSAccess", "DenyLeaveOrganization"}  # skip_destroy


def test_destroy_refuses_a_targets_last_scp_and_points_to_skip_destroy(tmp_path, endpoint, org, orgs_client):
    sandbox = org["accounts"]["sandbox-1"]
    st = stack(tmp_path, {"sandbox-1": ["DenyRootUser"]})
    st.up()
    orgs_client.detach_policy(PolicyId="p-FullAWSAccess", TargetId=sandbox)
    endpoint.control.reset_calls()
    message = failure(lambda: st.destroy(run_program=True))
    assert f'before hook "{DELETE_HOOK}" failed' in message and "skip_destroy=True" in message
    assert scps(orgs_client, sandbox) == {"DenyRootUser"} and changes(endpoint) == {}


def test_destroy_refuses_leaving_an_ou_with_deny_only_scps_and_points_to_skip_destroy(
        tmp_path, endpoint, org, orgs_client):
    """The stack manages FullAWSAccess on an OU that also carries a deny SCP attached
    outside the stack: destroying it would lock the OU's accounts out."""
    sandbox = org["ous"]["Root/Sandbox"]
    st = stack(tmp_path, {"Root/Sandbox": [{"policy": "FullAWSAccess", "import": True}]})
    st.up()
    orgs_client.attach_policy(PolicyId=org["policies"]["DenyRootUser"], TargetId=sandbox)
    endpoint.control.reset_calls()
    message = failure(lambda: st.destroy(run_program=True))
    assert f'before hook "{DELETE_HOOK}" failed' in message
    assert "allow no action at all" in message and "skip_destroy" in message
    assert scps(orgs_client, sandbox) == {"FullAWSAccess", "DenyRootUser"} and changes(endpoint) == {}


def slot_stack(tmp_path: Path, target: str, policy: str) -> tuple[auto.Stack, dict[str, str]]:
    """A program of one PolicyAttachment ("slot") on ``target``; set
    ``chosen["policy"]`` to change its policy_id, which replaces it."""
    chosen = {"policy": policy}

    def program() -> None:
        provider.register_guard()
        provider.PolicyAttachment("slot", policy_id=chosen["policy"], target_id=target)

    automation.require_cli()
    options = auto.LocalWorkspaceOptions(
        work_dir=str(tmp_path), env_vars=automation.engine_env(tmp_path / "state"),
        project_settings=auto.ProjectSettings(name="guard-e2e", runtime="python"))
    return (auto.create_or_select_stack(stack_name="e2e", project_name="guard-e2e", program=program, opts=options),
            chosen)


# -- failing safe ----------------------------------------------------------------------


def write_settings(tmp_path: Path, settings: dict[str, Any]) -> None:
    automation.write_config(tmp_path, "e2e", {"aws:region": "us-east-1", **settings})


def test_a_misspelt_missing_or_empty_attachments_key_fails_preview_and_detaches_nothing(
        tmp_path, endpoint, org, orgs_client):
    attachments = {"sandbox-1": ["DenyRootUser"], "Root/Workloads": ["RestrictRegions"]}
    st = stack(tmp_path, attachments)
    st.up()
    endpoint.control.reset_calls()
    # (settings, words the failure must show)
    for settings, words in [
        ({"org-policy:attachments": attachments}, ["org-policy:attachments", "org-policies:attachments"]),
        ({"orgpolicies:attachments": attachments}, ["Rename the key to org-policies:attachments"]),
        ({"org-policies:attachment": attachments}, ["did you mean org-policies:attachments?"]),
        ({}, ["org-policies:attachments: is not set", "org-policies:allowEmpty: true"]),
        ({"org-policies:attachments": None}, ["org-policies:attachments: has no value"]),
        ({"org-policies:attachments": {}}, ["org-policies:attachments: is empty"]),
        ({"org-policies:attachments": attachments, "policyAttachment:maxAttempts": "abc"},
         ["policyAttachment:maxAttempts: must be a whole number from 1 to 50", "not 'abc'"]),
    ]:
        write_settings(tmp_path, settings)
        message = failure(st.preview)
        for word in words:
            assert word in message, f"{word!r} not in {message!r}"
        assert "Traceback" not in message and "an unhandled error occurred" not in message, message
    assert changes(endpoint) == {}
    assert scps(orgs_client, org["accounts"]["sandbox-1"]) == {"FullAWSAccess", "DenyRootUser"}


def test_removing_more_than_max_removals_needs_a_deliberate_setting(tmp_path, endpoint, org, orgs_client):
    accounts = ["security-tooling", "prod-app", "dev-app", "sandbox-1"]
    full = {name: ["DenyRootUser", "RestrictRegions"] for name in accounts}  # 8 attachments
    st = stack(tmp_path, full)
    st.up()
    kept = {"sandbox-1": ["DenyRootUser"]}  # 7 removed, 5 allowed by default
    write_settings(tmp_path, {"org-policies:attachments": kept})
    endpoint.control.reset_calls()
    message = failure(st.preview)
    assert "This update removes 7 attachments from the stack, more than org-policies:maxRemovals allows (5)" in message
    assert "dev-app: DenyRootUser" in message and "sandbox-1: RestrictRegions" in message
    assert "org-policies:maxRemovals: 7" in message
    assert changes(endpoint) == {}
    message = failure(st.up)
    assert "removes 7 attachments" in message and changes(endpoint) == {}

    write_settings(tmp_path, {"org-policies:attachments": kept, "org-policies:maxRemovals": 7})
    assert st.preview().change_summary == {"delete": 7, "same": 3}
    # Removals count against what the last update declared: after removing 2, 5 more pass.
    write_settings(tmp_path, {"org-policies:attachments": {k: v for k, v in full.items() if k != "dev-app"}})
    assert st.up().summary.resource_changes == {"delete": 2, "same": 8}
    write_settings(tmp_path, {"org-policies:attachments": kept})
    assert st.preview().change_summary == {"delete": 5, "same": 3}
    # Everything, on purpose: an empty map plus allowEmpty lifts the limit.
    write_settings(tmp_path, {"org-policies:attachments": {}, "org-policies:allowEmpty": True})
    assert st.up().summary.resource_changes == {"delete": 6, "same": 2}
    assert all(scps(orgs_client, org["accounts"][name]) == {"FullAWSAccess"} for name in accounts)


def test_a_vanished_ou_fails_preview_with_the_way_forward_and_destroy_still_runs(
        tmp_path, endpoint, org, orgs_client):
    temp = orgs_client.create_organizational_unit(ParentId=org["root"], Name="Temp")["OrganizationalUnit"]["Id"]
    st = stack(tmp_path, {"Root/Temp": ["DenyRootUser"], "sandbox-1": ["DenyRootUser"]})
    st.up()
    orgs_client.delete_organizational_unit(OrganizationalUnitId=temp)  # by hand, out of band
    endpoint.control.reset_calls()

    message = failure(st.preview)
    assert "organizational unit 'Root/Temp' matches nothing" in message
    assert 'org-policies:attachments, target "Root/Temp"' in message
    assert "still holds its attachments (DenyRootUser)" in message and "remove this entry" in message
    assert "Traceback" not in message and changes(endpoint) == {}
    assert "Resource monitor has terminated" not in message and "1 errored" in message
    # An update stops at the same check before any change, a new attachment included.
    reconfigure(tmp_path, {"Root/Temp": ["DenyRootUser"], "sandbox-1": ["DenyRootUser", "RestrictRegions"]})
    assert "'Root/Temp' matches nothing" in failure(st.up)
    assert changes(endpoint) == {}

    result = st.destroy(run_program=True)  # needs no name from the config
    assert result.summary.resource_changes.get("delete") == 4  # 2 attachments, the removal limit, the stack
    assert not st.export_stack().deployment.get("resources")  # nothing unresolved was ever stored
    assert scps(orgs_client, org["accounts"]["sandbox-1"]) == {"FullAWSAccess"}


def test_import_left_in_config_reattaches_after_refresh_dropped_the_attachment(
        tmp_path, endpoint, org, orgs_client):
    deny_leave = org["policies"]["DenyLeaveOrganization"]
    st = stack(tmp_path, {"Root": [{"policy": "DenyLeaveOrganization", "import": True}]})
    st.up()
    assert changes(endpoint) == {}  # adopted
    orgs_client.detach_policy(PolicyId=deny_leave, TargetId=org["root"])  # drift, by hand
    assert st.refresh().summary.resource_changes.get("delete") == 1
    endpoint.control.reset_calls()
    assert st.up().summary.resource_changes == {"create": 1, "same": 2}
    assert changes(endpoint) == {"AttachPolicy": 1}
    assert scps(orgs_client, org["root"]) == {"FullAWSAccess", "DenyLeaveOrganization"}


def test_a_sixth_scp_from_config_is_refused_naming_the_entry_and_a_way_out_for_config(
        tmp_path, endpoint, org, orgs_client, make_scps):
    target = org["accounts"]["dev-app"]
    for policy in make_scps(3):
        orgs_client.attach_policy(PolicyId=policy, TargetId=target)  # with FullAWSAccess: 4 SCPs
    st = stack(tmp_path, {"dev-app": ["DenyRootUser", "RestrictRegions"]})
    endpoint.control.reset_calls()
    message = failure(st.preview)
    assert 'has a problem: org-policies:attachments, target "dev-app", policy "' in message
    assert "would carry 6 policies of type service control policy (SCP)" in message
    assert "Extra0 (" in message and "SCP)s" not in message
    assert "remove the policy you are replacing from that target in one `pulumi up`" in message
    assert changes(endpoint) == {}
