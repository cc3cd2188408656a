"""The pure decisions shared by the provider and the guard."""

import pytest

from provider import rules


@pytest.mark.parametrize(
    "policy_type, minimum, maximum",
    [
        ("SERVICE_CONTROL_POLICY", 1, 5),
        ("TAG_POLICY", 0, 10),
        ("BACKUP_POLICY", 0, 10),
        ("AISERVICES_OPT_OUT_POLICY", 0, 5),
        ("RESOURCE_CONTROL_POLICY", 0, 5),
        ("SOME_FUTURE_POLICY", 0, 5),  # unknown types get defaults, not an error
    ],
)
def test_limits_for(policy_type, minimum, maximum):
    assert rules.limits_for(policy_type) == rules.PolicyLimits(minimum, maximum)


@pytest.mark.parametrize(
    "attached, declared, detached, expected",
    [
        ({"a"}, set(), {"a"}, set()),  # last SCP removed
        ({"a", "b"}, set(), {"a"}, {"b"}),
        ({"a", "b"}, set(), {"a", "b"}, set()),  # two last SCPs together
        ({"a"}, {"c"}, {"a"}, {"c"}),  # replacement declared in the same run
        ({"a"}, {"a"}, {"a"}, set()),  # declaring the one being detached does not save it
        (set(), set(), set(), set()),
    ],
)
def test_remaining_after_detach(attached, declared, detached, expected):
    assert rules.remaining_after_detach(attached, declared, detached) == expected


@pytest.mark.parametrize(
    "policy_type, remaining, too_few",
    [
        ("SERVICE_CONTROL_POLICY", set(), True),
        ("SERVICE_CONTROL_POLICY", {"b"}, False),
        ("TAG_POLICY", set(), False),
        ("RESOURCE_CONTROL_POLICY", set(), False),
    ],
)
def test_detach_leaves_too_few(policy_type, remaining, too_few):
    assert rules.detach_leaves_too_few(policy_type, frozenset(remaining)) is too_few


@pytest.mark.parametrize(
    "policy_type, count, exceeds",
    [
        ("SERVICE_CONTROL_POLICY", 5, False),
        ("SERVICE_CONTROL_POLICY", 6, True),
        ("TAG_POLICY", 10, False),
        ("TAG_POLICY", 11, True),
        ("AISERVICES_OPT_OUT_POLICY", 6, True),
    ],
)
def test_attach_exceeds_maximum(policy_type, count, exceeds):
    after = frozenset(f"p-{i:08d}" for i in range(count))
    assert rules.attach_exceeds_maximum(policy_type, after) is exceeds


@pytest.mark.parametrize("policy_id, undetachable", [("p-RCPFullAWSAccess", True), ("p-FullAWSAccess", False)])
def test_is_undetachable(policy_id, undetachable):
    assert rules.is_undetachable(policy_id) is undetachable
