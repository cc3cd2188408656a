"""Input validation (the provider's check before any AWS call)."""

import pytest

from provider.inputs import input_failures

UNKNOWN = object()


def is_unknown(value):
    return value is UNKNOWN

OK = {"policy_id": "p-12345678", "target_id": "r-ab12", "skip_destroy": False}


@pytest.mark.parametrize(
    "change, failing",
    [
        ({}, []),
        ({"policy_id": UNKNOWN, "target_id": UNKNOWN, "skip_destroy": UNKNOWN}, []),
        ({"policy_id": None}, ["policy_id"]),
        ({"policy_id": ""}, ["policy_id"]),
        ({"policy_id": "FullAWSAccess"}, ["policy_id"]),
        ({"target_id": None}, ["target_id"]),
        ({"target_id": "ou-bad"}, ["target_id"]),
        ({"target_id": "12345"}, ["target_id"]),
        ({"skip_destroy": "yes"}, ["skip_destroy"]),
        ({"skip_destroy": 1}, ["skip_destroy"]),
        ({"skip_destroy": True}, []),
        ({"policy_id": "x", "target_id": "y", "skip_destroy": "z"}, ["policy_id", "target_id", "skip_destroy"]),
    ],
)
def test_input_failures(change, failing):
    failures = input_failures({**OK, **change}, is_unknown)
    assert [prop for prop, _ in failures] == failing
    for prop, reason in failures:
        assert prop in reason


def test_malformed_id_message_shows_the_value_and_the_format():
    [(prop, reason)] = input_failures({**OK, "target_id": "ou-nope"}, is_unknown)
    assert "'ou-nope'" in reason and "12-digit account ID" in reason
