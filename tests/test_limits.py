"""provider/limits.py: AWS's numbers, each with its source, and a stack's override."""

from __future__ import annotations

import json

import pytest

from provider import limits as limits_module
from provider import policy_types
from provider.limits import AWS_LIMITS, UNLISTED, Limits, LimitsConfigError, TypeLimits, limits_from_config

SCP = "SERVICE_CONTROL_POLICY"


@pytest.mark.parametrize("policy_type, minimum, maximum, characters", [
    (SCP, 1, 10, 10_240),  # since 2026-05-15 (5 and 5,120 before)
    ("RESOURCE_CONTROL_POLICY", 0, 5, 5_120),
    ("TAG_POLICY", 0, 10, 10_000),
    ("BACKUP_POLICY", 0, 10, 10_000),
    ("AISERVICES_OPT_OUT_POLICY", 0, 5, 2_500),
    ("CHATBOT_POLICY", 0, None, 10_000),
    ("DECLARATIVE_POLICY_EC2", 0, None, 10_000),
    ("SECURITYHUB_POLICY", 0, None, 10_000),
    ("INSPECTOR_POLICY", 0, None, None),  # nothing published: AWS decides at apply time
    ("A_TYPE_FROM_NEXT_YEAR", 0, None, None),
])
def test_aws_numbers_as_of_today(policy_type, minimum, maximum, characters):
    numbers = Limits().of(policy_type)
    assert (numbers.minimum, numbers.maximum, numbers.document_characters) == (minimum, maximum, characters)


def test_every_row_names_its_source_and_the_day_it_was_checked():
    for policy_type, row in {**AWS_LIMITS, "(unlisted)": UNLISTED}.items():
        assert row.source and row.checked == "2026-12-03", policy_type
    assert "2026-05-15" in AWS_LIMITS[SCP].source


def test_every_listed_type_is_one_botocore_knows():
    assert set(AWS_LIMITS) <= policy_types()
    assert len(policy_types()) == 15  # the pinned botocore's model; the README says so too


@pytest.mark.parametrize("raw", [
    {SCP: {"maximum": 5, "documentCharacters": 5120}},
    json.dumps({SCP: {"maximum": 5, "documentCharacters": 5120}}),  # as the engine hands config to a provider
])
def test_an_override_replaces_only_the_numbers_it_names(raw):
    limits = limits_from_config(raw, policy_types())
    assert limits.of(SCP) == TypeLimits(minimum=1, maximum=5, document_characters=5120)
    assert limits.of(SCP).source == "stack config org-policies:limits"
    assert limits.is_overridden(SCP) and not limits.is_overridden("TAG_POLICY")
    assert limits.of("TAG_POLICY") == AWS_LIMITS["TAG_POLICY"]


def test_an_override_can_give_a_type_a_number_aws_does_not_publish():
    limits = limits_from_config({"INSPECTOR_POLICY": {"maximum": 3}}, policy_types())
    assert limits.of("INSPECTOR_POLICY") == TypeLimits(0, 3, None)


@pytest.mark.parametrize("raw", [None, ""])
def test_no_override_is_aws_numbers(raw):
    assert limits_from_config(raw, policy_types()) == limits_module.DEFAULT


@pytest.mark.parametrize("raw, message", [
    ("not json", "org-policies:limits must be a mapping of policy type"),
    ([1, 2], "must be a mapping of policy type -> {minimum, maximum, documentCharacters}, not list"),
    ({"SERVICE_CONTROL_POLCY": {"maximum": 5}}, "org-policies:limits.SERVICE_CONTROL_POLCY: unknown policy type"),
    ({SCP: 5}, "org-policies:limits.SERVICE_CONTROL_POLICY must be a mapping with keys minimum, maximum"),
    ({SCP: {"max": 5}}, "unknown key 'max'; the keys are minimum, maximum, documentCharacters"),
    ({SCP: {"maximum": "10"}}, "org-policies:limits.SERVICE_CONTROL_POLICY.maximum must be a whole number, 1 or more"),
    ({SCP: {"maximum": 0}}, ".maximum must be a whole number, 1 or more, not 0"),
    ({SCP: {"maximum": True}}, ".maximum must be a whole number"),
    ({SCP: {"minimum": -1}}, ".minimum must be a whole number, 0 or more, not -1"),
    ({SCP: {"documentCharacters": 2.5}}, ".documentCharacters must be a whole number"),
    ({SCP: {"minimum": 3, "maximum": 2}}, "minimum 3 is more than maximum 2"),
])
def test_a_bad_override_names_the_type_and_key(raw, message):
    with pytest.raises(LimitsConfigError) as caught:
        limits_from_config(raw, policy_types())
    assert message in str(caught.value)


def test_the_endpoint_models_the_same_numbers():
    """The local endpoint keeps its own copy of AWS's numbers (it models AWS apart
    from the code it tests); the two tables must agree, row for row."""
    from emulator import limits as endpoint

    ours = {t: (row.minimum, row.maximum, row.document_characters) for t, row in AWS_LIMITS.items()}
    theirs = {t: row.numbers() for t, row in endpoint.AWS_LIMITS.items()}
    assert ours == theirs
    assert (UNLISTED.minimum, UNLISTED.maximum, UNLISTED.document_characters) == endpoint.DEFAULT_LIMITS.numbers()
