"""End to end, exclusive targets: the real Pulumi CLI (Automation API, inline
program, file:// backend) runs the program against the local endpoint, which
refuses a target's last SCP and a sixth one as AWS does."""

from __future__ import annotations

import os
import re

import pytest
from pulumi import automation as auto

import provider
from program import automation
from tests.conftest import ALLOW_LIST_CONTENT
from tests.test_e2e import changes, failure, reconfigure, scps, stack, write_settings

FULL = "FullAWSAccess (p-FullAWSAccess)"


@pytest.fixture(scope="module", autouse=True)
def cli() -> None:
    try:
        automation.require_cli()
    except automation.CliMissingError as err:
        if os.environ.get("E2E_REQUIRED"):
            pytest.fail(f"E2E_REQUIRED is set but {err}")
        pytest.skip(f"end-to-end tests need the pulumi CLI: {err}")


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


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_replace_full_aws_access_by_an_allow_list_on_an_ou(tmp_path, endpoint, org, orgs_client):
    ou = org["ous"]["Root/Workloads"]
    st = stack(tmp_path, {"Root/Workloads": exclusive("AllowListCore")})
    preview = st.preview(diff=True)
    assert preview.change_summary == {"create": 3}  # the stack, the removal limit and the exclusive set
    shown = flat(preview.stdout)
    assert f"{ou}/SERVICE_CONTROL_POLICY" in shown and FULL in shown  # target and policy named

    endpoint.control.reset_calls()
    result = st.up()
    assert result.summary.resource_changes == {"create": 3}
    assert scps(orgs_client, ou) == {"AllowListCore"}
    assert changes(endpoint) == {"AttachPolicy": 1, "DetachPolicy": 1}  # attach first, or AWS refuses
    assert result.outputs["attachments"].value == {"Root/Workloads": ["AllowListCore"]}

    endpoint.control.reset_calls()
    assert st.preview().change_summary == {"same": 3}
    assert endpoint.control.calls().get("ListPoliciesForTarget") == 1  # one list per exclusive target
    assert changes(endpoint) == {}

    # The target leaves the config (nothing else declared, on purpose): it gets back what the stack found.
    write_settings(tmp_path, {"org-policies:attachments": {}, "org-policies:allowEmpty": True})
    st.up()
    assert scps(orgs_client, ou) == {"FullAWSAccess"}


def test_swap_at_five_detaches_then_attaches(tmp_path, endpoint, org, orgs_client, make_scps):
    target = org["accounts"]["dev-app"]
    extra = make_scps(6, allow=True)
    st = stack(tmp_path, {"dev-app": exclusive(*extra[:5])})
    st.up()
    assert scps(orgs_client, target) == {f"AllowList{n}" for n in range(5)}
    reconfigure(tmp_path, {"dev-app": exclusive(*extra[:4], extra[5])})
    preview = st.preview(diff=True)
    assert preview.change_summary == {"update": 1, "same": 2}
    assert f"AllowList4 ({extra[4]})" in flat(preview.stdout)
    st.up()
    assert scps(orgs_client, target) == {"AllowList0", "AllowList1", "AllowList2", "AllowList3", "AllowList5"}


def test_an_out_of_band_attach_shows_in_refresh_and_preview_and_goes_with_up(tmp_path, endpoint, org, orgs_client):
    ou, deny = org["ous"]["Root/Workloads/Prod"], org["policies"]["DenyRootUser"]
    st = stack(tmp_path, {"Root/Workloads/Prod": exclusive("FullAWSAccess", "AllowListCore")})
    st.up()
    orgs_client.attach_policy(PolicyId=deny, TargetId=ou)  # by hand, in the console
    assert st.refresh().summary.resource_changes.get("update") == 1
    [state] = [r for r in st.export_stack().deployment["resources"] if r["type"].endswith("ExclusivePolicies")]
    assert state["outputs"]["attached"] == sorted(["p-FullAWSAccess", org["policies"]["AllowListCore"], deny])
    preview = st.preview(diff=True)
    assert preview.change_summary == {"update": 1, "same": 2}
    assert f"DenyRootUser ({org['policies']['DenyRootUser']})" in flat(preview.stdout)
    endpoint.control.reset_calls()
    st.up()
    assert scps(orgs_client, ou) == {"FullAWSAccess", "AllowListCore"}
    assert changes(endpoint) == {"DetachPolicy": 1}
    assert st.preview().change_summary == {"same": 3}


def test_a_declared_set_of_six_is_refused_at_preview(tmp_path, endpoint, org, orgs_client, make_scps):
    ou = org["ous"]["Root/Sandbox"]
    st = stack(tmp_path, {"Root/Sandbox": exclusive(*make_scps(6, allow=True))})
    endpoint.control.reset_calls()
    message = failure(st.preview)
    assert ou in message and "6 policies are declared and AWS allows at most 5" in message
    assert "Traceback" not in message
    assert changes(endpoint) == {}
    assert scps(orgs_client, ou) == {"FullAWSAccess"}


def test_skip_destroy_then_destroy_leaves_the_allow_list_in_place(tmp_path, endpoint, org, orgs_client):
    sandbox = org["accounts"]["sandbox-1"]
    st = stack(tmp_path, {"sandbox-1": exclusive("AllowListApps", skip_destroy=True),
                          "Root/Sandbox": exclusive("AllowListCore")})
    st.up()
    assert scps(orgs_client, sandbox) == {"AllowListApps"}
    st.destroy(run_program=True)
    assert scps(orgs_client, sandbox) == {"AllowListApps"}  # skip_destroy: left as it is
    assert scps(orgs_client, org["ous"]["Root/Sandbox"]) == {"FullAWSAccess"}  # given back


def code_stack(tmp_path, declare) -> auto.Stack:
    """A program of the user's own code: ``declare()`` constructs its resources."""
    def program() -> None:
        provider.register_guard()
        declare()

    options = auto.LocalWorkspaceOptions(
        work_dir=str(tmp_path), env_vars=automation.engine_env(tmp_path / "state"),
        project_settings=auto.ProjectSettings(name="exclusive-e2e", runtime="python"))
    return auto.create_or_select_stack(stack_name="e2e", project_name="exclusive-e2e", program=program,
                                       opts=options)


def test_a_policy_attachment_on_an_exclusive_target_is_refused_at_preview(tmp_path, endpoint, org, orgs_client):
    account, p = org["accounts"]["sandbox-1"], org["policies"]
    with_attachment = {"on": False}

    def declare() -> None:
        provider.ExclusivePolicies("owned", target_id=account, policy_ids=[p["AllowListApps"]])
        if with_attachment["on"]:
            provider.PolicyAttachment("extra", policy_id=p["AllowListCore"], target_id=account)

    st = code_stack(tmp_path, declare)
    st.up()
    with_attachment["on"] = True  # added later: the attachment's own hook refuses it
    endpoint.control.reset_calls()
    message = failure(st.preview)
    assert f"AllowListCore ({p['AllowListCore']})" in message and account in message
    assert "exclusive set owned" in message and changes(endpoint) == {}

    fresh = code_stack(tmp_path / "both-new", declare)  # both new in one update: refused too
    message = failure(fresh.preview)
    assert "exclusive set" in message and account in message
    assert scps(orgs_client, account) == {"AllowListApps"}


def test_handing_a_target_over_to_attachments_needs_skip_destroy_first(tmp_path, endpoint, org, orgs_client):
    ou = org["ous"]["Root/Workloads"]
    st = stack(tmp_path, {"Root/Workloads": exclusive("AllowListCore")})
    st.up()
    listed = {"Root/Workloads": [{"policy": "AllowListCore", "import": True}]}
    reconfigure(tmp_path, listed)
    endpoint.control.reset_calls()
    message = failure(st.preview)  # deleting the set would detach the adopted AllowListCore
    assert ou in message and "skip_destroy: true" in message and "two updates" in message
    assert changes(endpoint) == {}

    reconfigure(tmp_path, {"Root/Workloads": exclusive("AllowListCore", skip_destroy=True)})
    st.up()
    reconfigure(tmp_path, listed)
    assert st.up().summary.resource_changes == {"create": 1, "delete": 1, "same": 2}
    assert scps(orgs_client, ou) == {"AllowListCore"}  # released as it was, then adopted


def test_removing_a_target_that_cannot_get_its_policies_back_fails_at_preview(
        tmp_path, endpoint, org, orgs_client, make_scps):
    account = org["accounts"]["prod-app"]
    extra = make_scps(9, allow=True)
    for policy in extra[1:5]:
        orgs_client.attach_policy(PolicyId=policy, TargetId=account)  # found: FullAWSAccess and four
    st = stack(tmp_path, {"prod-app": exclusive(extra[0]), "Root/Sandbox": exclusive("FullAWSAccess")})
    st.up()
    for policy in extra[5:9]:
        orgs_client.attach_policy(PolicyId=policy, TargetId=account)  # four more by hand
    reconfigure(tmp_path, {"Root/Sandbox": exclusive("FullAWSAccess")})
    endpoint.control.reset_calls()
    message = failure(st.preview)
    assert account in message and "at most 5" in message and "skip_destroy: true" in message
    assert changes(endpoint) == {}


def test_making_a_listed_target_exclusive_needs_skip_destroy_first(tmp_path, endpoint, org, orgs_client):
    ou = org["ous"]["Root/Workloads"]
    st = stack(tmp_path, {"Root/Workloads": ["AllowListCore"]})
    st.up()
    reconfigure(tmp_path, {"Root/Workloads": exclusive("AllowListCore")})
    endpoint.control.reset_calls()
    message = failure(st.preview)  # the attachment's detach would run after the set took over
    assert ou in message and "becomes exclusive" in message and "skip_destroy: true" in message
    assert changes(endpoint) == {}

    reconfigure(tmp_path, {"Root/Workloads": [{"policy": "AllowListCore", "skip_destroy": True}]})
    st.up()
    reconfigure(tmp_path, {"Root/Workloads": exclusive("AllowListCore")})
    st.up()
    assert scps(orgs_client, ou) == {"AllowListCore"}
