"""program.config: the stack config's shape, checked without AWS or Pulumi."""

from __future__ import annotations

from typing import Any

import pytest

from program.config import (
    ACCOUNT_NAME,
    AWS_POLICY_NAME,
    OU_PATH,
    POLICY_ID,
    ROOT,
    STACK_POLICY,
    TARGET_ID,
    AttachmentItem,
    PolicyRef,
    PolicySpec,
    TargetRef,
    check_keys,
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
    ("root ID", "r-ab12", TARGET_ID),
    ("OU ID", OU, TARGET_ID),
    ("account ID", "123456789012", TARGET_ID),
    ("Root", "Root", ROOT),
    ("OU path", "Root/Workloads/Prod", OU_PATH),
    ("account name", "prod-app", ACCOUNT_NAME),
    ("11 digits is a name", "12345678901", ACCOUNT_NAME),
    ("lower-case root is a name", "root", ACCOUNT_NAME),
]


@pytest.mark.parametrize("case, text, kind", TARGETS, ids=[row[0] for row in TARGETS])
def test_target_kind_is_read_from_the_text(case: str, text: str, kind: str) -> None:
    config = parse_config(None, {text: ["FullAWSAccess"]})
    assert config.attachments[0].target == TargetRef(text, kind)


def test_ou_path_names_are_the_segments_below_root() -> None:
    config = parse_config(None, {"Root/Workloads/Prod": ["X"]})
    assert config.attachments[0].target.ou_names == ("Workloads", "Prod")


# (case, policy text, kind)
POLICIES = [
    ("policy ID", "p-FullAWSAccess", POLICY_ID),
    ("AWS policy name", "FullAWSAccess", AWS_POLICY_NAME),
    ("stack policy name", "Deny", STACK_POLICY),
    ("too-short ID is a name", "p-abc", AWS_POLICY_NAME),
]


@pytest.mark.parametrize("case, text, kind", POLICIES, ids=[row[0] for row in POLICIES])
def test_policy_kind_is_read_from_the_text_and_stack_names_win(case: str, text: str, kind: str) -> None:
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
        AttachmentItem(PolicyRef("RestrictRegions", AWS_POLICY_NAME), position=1),
        AttachmentItem(PolicyRef("Deny", STACK_POLICY), skip_destroy=True, position=2),
    )
    assert account.items == (
        AttachmentItem(PolicyRef("FullAWSAccess", AWS_POLICY_NAME), position=1),
    )
    assert config.policy("Tags").type == "TAG_POLICY"


def test_unset_keys_mean_nothing_declared() -> None:
    config = parse_config(None, None)
    assert config.policies == () and config.attachments == ()


def test_policy_types_come_from_botocore_so_new_types_need_no_code() -> None:
    types = known_policy_types()
    assert {"SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY", "TAG_POLICY"} <= types
    assert parse_config({"X": {"file": "x.json", "type": "NEW_POLICY"}}, None,
                        policy_types={"NEW_POLICY"}).policies[0].type == "NEW_POLICY"


@pytest.mark.parametrize("keys, parts", [
    ({"org-policies:attachment"}, ["org-policies:attachment:", "unknown config key",
                                   "did you mean org-policies:attachments?"]),
    ({"org-policies:region"}, ["org-policies:region", "org-policies:policies and org-policies:attachments"]),
])
def test_unknown_keys_in_the_namespace_are_refused(keys: set[str], parts: list[str]) -> None:
    with pytest.raises(ConfigError) as caught:
        check_keys(keys)
    for part in parts:
        assert part in str(caught.value)


def test_keys_of_other_namespaces_and_known_keys_pass() -> None:
    check_keys({"aws:region", "policyAttachment:maxAttempts", "org-policies:attachments",
                "org-policies:policies"})
