"""program.config: the stack config's shape, checked without AWS or Pulumi."""

from __future__ import annotations

from typing import Any

import pytest

from program.config import (
    AttachmentItem,
    PolicyKind,
    PolicyRef,
    PolicySpec,
    TargetKind,
    TargetRef,
    check_keys,
    check_retry_settings,
    known_policy_types,
    parse_config,
)
from program.errors import ConfigError

POLICY = {"Deny": {"file": "policies/deny.json"}}
OU = "ou-ab12-cdef3456"

# (case, policies, attachments, message parts)
BAD = [
    ("policies not a mapping", ["x"], None, ["org-policies:policies", "must be a mapping", "a list"]),
    ("policy entry not a mapping", {"Deny": "policies/deny.json"}, None,
     ['policy "Deny"', "must be a mapping", "file: policies/"]),
    ("unknown key in a policy", {"Deny": {"file": "p.json", "typ": "TAG_POLICY"}}, None,
     ['policy "Deny"', "unknown key 'typ'", "Did you mean 'type'?"]),
    ("policy without file", {"Deny": {"type": "TAG_POLICY"}}, None, ['policy "Deny"', "'file' is required"]),
    ("absolute policy file", {"Deny": {"file": "/etc/passwd"}}, None, ['policy "Deny"', "outside the project"]),
    ("policy file above the project", {"Deny": {"file": "../x.json"}}, None, ["outside the project"]),
    ("unknown policy type", {"Deny": {"file": "d.json", "type": "SERVICE_CONTROL"}}, None,
     ['policy "Deny"', "unknown policy type 'SERVICE_CONTROL'", "Did you mean SERVICE_CONTROL_POLICY?"]),
    ("lower-case policy type", {"Deny": {"file": "d.json", "type": "tag_policy"}}, None,
     ["unknown policy type 'tag_policy'", "Did you mean TAG_POLICY?"]),
    ("policy name with spaces", {"Deny all": {"file": "d.json"}}, None,
     ['policy "Deny all"', "1 to 128 letters"]),
    ("policy name that looks like an ID", {"p-12345678": {"file": "d.json"}}, None,
     ['policy "p-12345678"', "looks like a policy ID"]),
    ("description not a string", {"Deny": {"file": "d.json", "description": 3}}, None,
     ['policy "Deny"', "'description'"]),
    ("attachments not a mapping", None, ["Root"], ["org-policies:attachments", "must be a mapping", "a list"]),
    ("attachments a string", None, "Root: [X]", ["org-policies:attachments", "not a string"]),
    ("target list is a string", None, {"Root": "RestrictRegions"}, ['target "Root"', "must be a list",
                                                                    '"Root": [RestrictRegions]']),
    ("empty list", None, {"Root/Workloads": []}, ['target "Root/Workloads"', "empty", "remove the target"]),
    ("empty target", None, {"": ["X"]}, ['target ""', "non-empty string"]),
    ("target with spaces around", None, {" Root": ["X"]}, ['target " Root"', "spaces"]),
    ("OU path not from the root", None, {"Workloads/Prod": ["X"]},
     ['target "Workloads/Prod"', "must start at the root", "Root/Workloads/Prod"]),
    ("OU path with an empty segment", None, {"Root//Prod": ["X"]}, ['target "Root//Prod"', "empty segment"]),
    ("OU path from a lower-case root", None, {"root/Workloads": ["X"]},
     ['target "root/Workloads"', "must start at the root, written 'Root'", "Write Root/Workloads ("]),
    ("OU path with a trailing slash", None, {"Root/Workloads/": ["X"]}, ["empty segment"]),
    ("item neither string nor mapping", None, {"Root": [["X"]]}, ['target "Root", item 1', "not a list"]),
    ("item number", None, {"Root": ["X", 7]}, ['target "Root", item 2', "not a number"]),
    ("empty policy", None, {"Root": [""]}, ['target "Root", item 1', "non-empty name or ID"]),
    ("unknown key in an item", None, {"Root": [{"policy": "X", "skip-destroy": True}]},
     ['target "Root", item 1', "unknown key 'skip-destroy'", "Did you mean 'skip_destroy'?"]),
    ("item mapping without policy", None, {"Root": [{"skip_destroy": True}]},
     ['target "Root", item 1', "no 'policy'"]),
    ("skip_destroy a string", None, {"Root": [{"policy": "X", "skip_destroy": "true"}]},
     ['target "Root", item 1', "'skip_destroy' must be true or false", "'true'"]),
    ("skip_destroy a number", None, {"Root": [{"policy": "X", "skip_destroy": 1}]},
     ["'skip_destroy' must be true or false, not 1"]),
    ("import not a boolean", None, {"Root": [{"policy": "FullAWSAccess", "import": "yes"}]},
     ['target "Root", item 1', "'import' must be true or false"]),
    ("import of a stack policy", {"Mine": {"file": "policies/deny-s3-public-access.json"}},
     {"Root": [{"policy": "Mine", "import": True}]},
     ['target "Root", item 1', "'import' cannot adopt 'Mine'", "Remove import: true"]),
    ("same policy twice on a target", None, {"Root/Workloads": ["RestrictRegions", "X", "RestrictRegions"]},
     ['target "Root/Workloads", item 3', "'RestrictRegions' is listed twice", "items 1 and 3", "Keep one"]),
    ("same policy twice, once as a mapping", None, {"Root": ["X", {"policy": "X", "skip_destroy": True}]},
     ['target "Root", item 2', "listed twice"]),
]


@pytest.mark.parametrize("case, policies, attachments, parts", BAD, ids=[row[0] for row in BAD])
def test_bad_config_is_refused_with_key_and_entry(case: str, policies: Any, attachments: Any,
                                                  parts: list[str]) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(policies, attachments)
    message = str(caught.value)
    assert message.startswith("org-policies:")
    for part in parts:
        assert part in message, f"{part!r} not in {message!r}"


def test_config_errors_are_run_errors_so_pulumi_prints_no_traceback() -> None:
    import pulumi

    with pytest.raises(pulumi.RunError):
        parse_config(None, {"Root": []})


# (case, target text, kind)
TARGETS = [
    ("root ID", "r-ab12", TargetKind.ID),
    ("OU ID", OU, TargetKind.ID),
    ("account ID", "123456789012", TargetKind.ID),
    ("Root", "Root", TargetKind.ROOT),
    ("OU path", "Root/Workloads/Prod", TargetKind.OU_PATH),
    ("account name", "prod-app", TargetKind.ACCOUNT_NAME),
    ("11 digits is a name", "12345678901", TargetKind.ACCOUNT_NAME),
    ("lower-case root is a name", "root", TargetKind.ACCOUNT_NAME),
]


@pytest.mark.parametrize("case, text, kind", TARGETS, ids=[row[0] for row in TARGETS])
def test_target_kind_is_read_from_the_text(case: str, text: str, kind: TargetKind) -> None:
    config = parse_config(None, {text: ["FullAWSAccess"]})
    assert config.attachments[0].target == TargetRef(text, kind)


def test_ou_path_names_are_the_segments_below_root() -> None:
    config = parse_config(None, {"Root/Workloads/Prod": ["X"]})
    assert config.attachments[0].target.ou_names == ("Workloads", "Prod")


# (case, policy text, kind)
POLICIES = [
    ("policy ID", "p-FullAWSAccess", PolicyKind.ID),
    ("AWS policy name", "FullAWSAccess", PolicyKind.AWS_NAME),
    ("stack policy name", "Deny", PolicyKind.STACK),
    ("too-short ID is a name", "p-abc", PolicyKind.AWS_NAME),
]


@pytest.mark.parametrize("case, text, kind", POLICIES, ids=[row[0] for row in POLICIES])
def test_policy_kind_is_read_from_the_text_and_stack_names_win(case: str, text: str, kind: PolicyKind) -> None:
    config = parse_config(POLICY, {"Root": [text]})
    assert config.attachments[0].items[0].policy == PolicyRef(text, kind)


def test_good_config_with_every_shape() -> None:
    config = parse_config(
        {"Deny": {"file": "policies/deny.json", "description": "d"},
         "Tags": {"file": "policies/tags.json", "type": "TAG_POLICY"}},
        {"Root/Workloads": ["RestrictRegions", {"policy": "Deny", "skip_destroy": True}],
         "123456789012": [{"policy": "FullAWSAccess", "skip_destroy": False}]},
    )
    assert config.policies == (
        PolicySpec("Deny", "policies/deny.json", "SERVICE_CONTROL_POLICY", "d"),
        PolicySpec("Tags", "policies/tags.json", "TAG_POLICY", ""),
    )
    workloads, account = config.attachments
    assert workloads.items == (
        AttachmentItem(PolicyRef("RestrictRegions", PolicyKind.AWS_NAME), position=1),
        AttachmentItem(PolicyRef("Deny", PolicyKind.STACK), skip_destroy=True, position=2),
    )
    assert account.items == (
        AttachmentItem(PolicyRef("FullAWSAccess", PolicyKind.AWS_NAME), position=1),
    )
    assert config.policy("Tags").type == "TAG_POLICY"


# (case, attachments, allowEmpty, message parts): declaring nothing detaches everything the
# stack attached, so it must be said on purpose, never follow from a missing or misspelt key.
DECLARES_NOTHING = [
    ("key missing", None, None, ["org-policies:attachments: is not set", "remove every one it manages",
                                 "org-policies:allowEmpty: true"]),
    ("key missing, allowEmpty set", None, True, ["is not set", "spelling"]),
    ("null value", "", None, ["org-policies:attachments: has no value", "org-policies:allowEmpty: true"]),
    ("empty map", {}, None, ["org-policies:attachments: is empty", "org-policies:attachments: {} and "
                                                                  "org-policies:allowEmpty: true"]),
    ("empty map, allowEmpty false", {}, False, ["is empty"]),
    ("allowEmpty not a boolean", {}, "yes", ["org-policies:allowEmpty: must be true or false, not 'yes'"]),
]


@pytest.mark.parametrize("case, attachments, allow_empty, parts", DECLARES_NOTHING,
                         ids=[row[0] for row in DECLARES_NOTHING])
def test_declaring_nothing_needs_an_empty_map_and_allow_empty(case: str, attachments: Any,
                                                              allow_empty: Any, parts: list[str]) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(None, attachments, allow_empty=allow_empty)
    for part in parts:
        assert part in str(caught.value), f"{part!r} not in {str(caught.value)!r}"


def test_an_empty_map_with_allow_empty_declares_nothing() -> None:
    config = parse_config(None, {}, allow_empty=True)
    assert config.policies == () and config.attachments == () and config.allow_empty


@pytest.mark.parametrize("raw, expected", [(None, 5), (0, 0), (40, 40)])
def test_max_removals_is_a_count_with_a_default(raw: Any, expected: int) -> None:
    assert parse_config(None, {"Root": ["X"]}, max_removals=raw).max_removals == expected


@pytest.mark.parametrize("raw", [-1, 2.5, "ten", True])
def test_max_removals_must_be_a_whole_number(raw: Any) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(None, {"Root": ["X"]}, max_removals=raw)
    assert "org-policies:maxRemovals: must be a whole number, 0 or more" in str(caught.value)


def test_policy_types_come_from_botocore_so_new_types_need_no_code() -> None:
    types = known_policy_types()
    assert {"SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY", "TAG_POLICY"} <= types
    assert parse_config({"X": {"file": "x.json", "type": "NEW_POLICY"}}, {}, allow_empty=True,
                        policy_types={"NEW_POLICY"}).policies[0].type == "NEW_POLICY"


@pytest.mark.parametrize("keys, parts", [
    ({"org-policies:attachment"}, ["org-policies:attachment:", "unknown config key",
                                   "did you mean org-policies:attachments?"]),
    ({"org-policies:region"}, ["org-policies:region", "org-policies:policies, org-policies:attachments, "
                               "org-policies:allowEmpty, org-policies:maxRemovals"]),
    ({"org-policies:allowempty"}, ["did you mean org-policies:allowEmpty?"]),
    ({"org-policies:attachment"}, ["did you mean org-policies:attachments?"]),
])
def test_unknown_keys_in_the_namespace_are_refused(keys: set[str], parts: list[str]) -> None:
    with pytest.raises(ConfigError) as caught:
        check_keys(keys)
    for part in parts:
        assert part in str(caught.value)
    assert not str(caught.value).endswith("?.")  # no full stop after a question


def test_keys_of_other_namespaces_and_known_keys_pass() -> None:
    check_keys({"aws:region", "policyAttachment:maxAttempts", "org-policies:attachments",
                "org-policies:policies", "org-policies:allowEmpty", "org-policies:maxRemovals",
                "pulumi:tags", "organization:x", "aws-native:region"})


# (key as written, the key meant)
MISSPELT_NAMESPACES = [
    ("org-policy:attachments", "org-policies:attachments"),
    ("orgpolicies:attachments", "org-policies:attachments"),
    ("org_policies:attachments", "org-policies:attachments"),
    ("Org-Policies:attachments", "org-policies:attachments"),
    ("org-polices:policies", "org-policies:policies"),
    ("policyattachment:maxAttempts", "policyAttachment:maxAttempts"),
    ("policy-attachment:maxDelay", "policyAttachment:maxDelay"),
]


@pytest.mark.parametrize("key, meant", MISSPELT_NAMESPACES, ids=[row[0] for row in MISSPELT_NAMESPACES])
def test_a_namespace_close_to_the_programs_is_refused_with_the_right_spelling(key: str, meant: str) -> None:
    with pytest.raises(ConfigError) as caught:
        check_keys({key, "org-policies:attachments"})
    message = str(caught.value)
    assert message.startswith(f"{key}: unknown config namespace") and f"Rename the key to {meant}" in message


# (case, key, value, accepted values named)
BAD_RETRY = [
    ("zero attempts", "maxAttempts", "0", "a whole number from 1 to 50"),
    ("attempts not a number", "maxAttempts", "abc", "a whole number from 1 to 50"),
    ("fractional attempts", "maxAttempts", "2.5", "a whole number from 1 to 50"),
    ("too many attempts", "maxAttempts", "51", "a whole number from 1 to 50"),
    ("negative delay", "baseDelay", "-1", "a number of seconds greater than 0"),
    ("delay not a number", "maxDelay", "soon", "a number of seconds greater than 0"),
]


@pytest.mark.parametrize("case, name, value, accepted", BAD_RETRY, ids=[row[0] for row in BAD_RETRY])
def test_a_bad_retry_setting_is_one_config_error_naming_key_and_accepted_values(
        case: str, name: str, value: str, accepted: str) -> None:
    settings = {f"policyAttachment:{name}": value}
    with pytest.raises(ConfigError) as caught:
        check_retry_settings(settings.get)
    message = str(caught.value)
    assert message.startswith(f"policyAttachment:{name}: must be {accepted}") and f"not {value!r}" in message


def test_good_retry_settings_pass() -> None:
    check_retry_settings({"policyAttachment:maxAttempts": "3", "policyAttachment:baseDelay": "0.5",
                          "policyAttachment:maxDelay": "10"}.get)
    check_retry_settings({}.get)
