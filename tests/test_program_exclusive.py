"""Exclusive targets in stack config (the mapping form), under Pulumi's mocks:
what the program declares, and every bad mapping refused before any resource
is registered. Names resolve against the local endpoint's sample organization."""

from __future__ import annotations

import pytest

from program import ConfigError
from provider.guard import BEFORE_DELETE_EXCLUSIVE_HOOK
from tests.test_program import NoAws, attachments_config, registered_by_last_run, run_program

EXCLUSIVE = "pulumi-python:dynamic/organizations:ExclusivePolicies"
SCP = "SERVICE_CONTROL_POLICY"


def exclusive_sets(run) -> dict[str, tuple[str, str, list[str], bool]]:
    return {name: (i["target_id"], i["policy_type"], i["policy_ids"], i["skip_destroy"])
            for name, i in run.of_type(EXCLUSIVE).items()}


def test_an_exclusive_target_declares_one_set_per_type_and_attachments_for_other_types(org):
    ou, p = org["ous"]["Root/Workloads"], org["policies"]
    run = run_program(attachments_config({"Root/Workloads": {
        "exclusive": True, "policies": ["RestrictRegions", p["DenyRootUser"], "RequireCostCenterTag"]}}))
    assert exclusive_sets(run) == {
        f"{ou}/{SCP}": (ou, SCP, [p["RestrictRegions"], p["DenyRootUser"]], False)}
    assert run.attachments() == {f"{ou}/{p['RequireCostCenterTag']}": (ou, p["RequireCostCenterTag"], False)}
    assert run.exports["attachments"] == {  # as written in the config
        "Root/Workloads": sorted(["RestrictRegions", p["DenyRootUser"], "RequireCostCenterTag"])}
    assert run.monitor.bindings[f"{ou}/{SCP}"] == {"before_delete": [BEFORE_DELETE_EXCLUSIVE_HOOK], "before_create": []}


def test_exclusive_types_with_no_listed_policy_of_a_type_declare_an_empty_set(org):
    ou = org["ous"]["Root/Sandbox"]
    run = run_program(attachments_config({"Root/Sandbox": {
        "exclusive": True, "exclusive_types": [SCP, "TAG_POLICY"], "policies": ["FullAWSAccess"],
        "skip_destroy": True}}))
    assert exclusive_sets(run) == {
        f"{ou}/{SCP}": (ou, SCP, ["p-FullAWSAccess"], True),
        f"{ou}/TAG_POLICY": (ou, "TAG_POLICY", [], True),
    }
    assert run.attachments() == {}


def test_exclusive_false_is_the_list_form(org):
    ou, policy = org["ous"]["Root/Sandbox"], org["policies"]["RestrictRegions"]
    run = run_program(attachments_config({"Root/Sandbox": {"exclusive": False, "policies": ["RestrictRegions"]}}))
    assert exclusive_sets(run) == {} and run.attachments() == {f"{ou}/{policy}": (ou, policy, False)}


# (case, target value, message parts); every one refused before any registration
REFUSED = [
    ("exclusive not a boolean", {"exclusive": "yes", "policies": ["DenyRootUser"]},
     ['target "Root/Sandbox"', "'exclusive' must be true or false"]),
    ("no policies key", {"exclusive": True}, ["the mapping has no 'policies'"]),
    ("policies not a list", {"exclusive": True, "policies": "DenyRootUser"}, ["'policies' must be a list"]),
    ("empty list without exclusive", {"policies": []}, ["the list of policies is empty"]),
    ("unknown key", {"exclusive": True, "policies": ["DenyRootUser"], "exclusive_type": [SCP]},
     ["unknown key 'exclusive_type'", "Did you mean 'exclusive_types'?"]),
    ("unknown type", {"exclusive": True, "policies": ["DenyRootUser"], "exclusive_types": ["SCP"]},
     ["unknown policy type 'SCP' in exclusive_types"]),
    ("type not a string", {"exclusive": True, "policies": ["DenyRootUser"], "exclusive_types": [{"a": 1}]},
     ["unknown policy type {'a': 1} in exclusive_types"]),
    ("type twice", {"exclusive": True, "policies": ["DenyRootUser"], "exclusive_types": [SCP, SCP]},
     ["lists a type twice"]),
    ("empty types", {"exclusive": True, "policies": ["DenyRootUser"], "exclusive_types": []},
     ["non-empty list of policy types"]),
    ("skip_destroy without exclusive", {"policies": ["DenyRootUser"], "skip_destroy": True},
     ["'skip_destroy' applies to exclusive targets only"]),
    ("import on an owned policy", {"exclusive": True, "policies": [{"policy": "DenyRootUser", "import": True}]},
     ['item 1 ("DenyRootUser")', "'import' is not needed"]),
    ("skip_destroy on an owned policy",
     {"exclusive": True, "policies": [{"policy": "DenyRootUser", "skip_destroy": True}]},
     ['item 1 ("DenyRootUser")', "set skip_destroy: true in the target's mapping"]),
]


@pytest.mark.parametrize("case, value, parts", REFUSED, ids=[r[0] for r in REFUSED])
def test_bad_exclusive_mappings_are_refused_before_any_resource_is_registered(org, case, value, parts):
    with pytest.raises(ConfigError) as caught:
        run_program(attachments_config({"Root/Sandbox": value}))
    for part in parts:
        assert part in str(caught.value), f"{part!r} not in {str(caught.value)!r}"
    assert registered_by_last_run() == []


def test_an_exclusive_target_and_a_list_for_the_same_target_are_refused(org):
    root = org["root"]
    with pytest.raises(ConfigError) as caught:
        run_program(attachments_config({"Root": {"exclusive": True, "policies": ["FullAWSAccess"]},
                                        root: ["DenyRootUser"]}))
    message = str(caught.value)
    assert f'"Root" and "{root}" are the same target' in message and "exclusive target" in message
    assert registered_by_last_run() == []


def test_ids_in_a_list_need_no_policy_type_lookup() -> None:
    """Only exclusive targets ask for policy types: list-only configs stay call-free."""
    run = run_program(attachments_config({"ou-ab12-cdef3456": ["p-examplepolicy1"]}), api=NoAws())
    assert exclusive_sets(run) == {}
