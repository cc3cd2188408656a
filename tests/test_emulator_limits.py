"""The endpoint's limits: today's table, the override's parser, and the control API that sets it.

What the limits do to AttachPolicy, DetachPolicy, CreatePolicy and UpdatePolicy is proved with
the other AWS rules in test_emulator.py (the rows with ``limits=``); seed files with ``limits:``
in test_emulator_seed.py and, served, in test_emulator_cli.py.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from botocore.exceptions import ClientError

from emulator import ControlError
from emulator.limits import (
    AWS_LIMITS,
    BEFORE_2026_05_15,
    CHECKED,
    DEFAULT_LIMITS,
    TODAY,
    LimitsConfig,
    LimitsConfigError,
    limits_for,
)
from emulator.service_model import aws_policy_types

SCP = "SERVICE_CONTROL_POLICY"
RCP = "RESOURCE_CONTROL_POLICY"
TAG = "TAG_POLICY"
INSPECTOR = "INSPECTOR_POLICY"
MAX_REASON = "MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED"

# (policy type, (minimum, maximum, document characters)); None: not published, not enforced.
TODAY_NUMBERS = [
    (SCP, (1, 10, 10_240)),  # raised on 2026-05-15 from 5 and 5,120
    (RCP, (0, 5, 5_120)),
    (TAG, (0, 10, 10_000)),
    ("BACKUP_POLICY", (0, 10, 10_000)),
    ("AISERVICES_OPT_OUT_POLICY", (0, 5, 2_500)),
    ("CHATBOT_POLICY", (0, None, 10_000)),
    ("DECLARATIVE_POLICY_EC2", (0, None, 10_000)),
    ("SECURITYHUB_POLICY", (0, None, 10_000)),
    ("SECURITYHUB_CSPM_POLICY", (0, None, 10_000)),
    (INSPECTOR, (0, None, None)),
    ("S3_POLICY", (0, None, None)),
    ("A_TYPE_AWS_ADDS_NEXT_YEAR", (0, None, None)),
]


@pytest.mark.parametrize(("policy_type", "numbers"), TODAY_NUMBERS, ids=[r[0] for r in TODAY_NUMBERS])
def test_today_limits_of_each_type(policy_type: str, numbers: tuple[int, int | None, int | None]) -> None:
    assert limits_for(policy_type).numbers() == numbers
    assert TODAY.limits_for(policy_type) == limits_for(policy_type)


def test_every_row_names_a_type_of_botocores_model_with_its_source_and_date() -> None:
    assert set(AWS_LIMITS) <= set(aws_policy_types())
    for row in (*AWS_LIMITS.values(), DEFAULT_LIMITS):
        assert row.source and row.checked == CHECKED == "2026-12-03"


def test_table_json_lists_every_type_of_botocores_model() -> None:
    table = TODAY.table_json()
    assert list(table["limits"]) == list(aws_policy_types())
    assert table["limits"][SCP] == {"minimum": 1, "maximum": 10, "documentCharacters": 10_240}
    assert table["limits"][INSPECTOR] == {"minimum": 0, "maximum": None, "documentCharacters": None}
    assert table["overridden"] == []


# (override, policy type, its numbers in force)
OVERRIDES = {
    "none": ({}, SCP, (1, 10, 10_240)),
    "the SCP quotas before 2026-05-15": (BEFORE_2026_05_15, SCP, (1, 5, 5_120)),
    "another type keeps today's numbers": (BEFORE_2026_05_15, RCP, (0, 5, 5_120)),
    "a subset of keys": ({TAG: {"minimum": 1}}, TAG, (1, 10, 10_000)),
    "an empty subset": ({TAG: {}}, TAG, (0, 10, 10_000)),
    "numbers for a type without published ones": (
        {INSPECTOR: {"maximum": 3, "documentCharacters": 100}}, INSPECTOR, (0, 3, 100)),
    "minimum equal to maximum": ({SCP: {"maximum": 1}}, SCP, (1, 1, 10_240)),
    "SCP minimum 0": ({SCP: {"minimum": 0}}, SCP, (0, 10, 10_240)),
}


@pytest.mark.parametrize(("override", "policy_type", "numbers"), OVERRIDES.values(), ids=OVERRIDES.keys())
def test_override_replaces_only_the_numbers_it_names(
    override: dict[str, Any], policy_type: str, numbers: tuple[int, int | None, int | None]
) -> None:
    config = LimitsConfig.from_json(override)
    assert config.limits_for(policy_type).numbers() == numbers
    assert config.to_json() == {t: dict(n) for t, n in override.items()}
    assert LimitsConfig.from_json(config.to_json()) == config


# (override, policy type and key the error names, message parts)
BAD_OVERRIDES = {
    "a list": ([SCP], None, None, ["expected an object of policy types", '{"SERVICE_CONTROL_POLICY": {"maximum": 5']),
    "null": (None, None, None, ["expected an object of policy types, got None"]),
    "unknown type": ({"SCP": {"maximum": 5}}, "SCP", None, ["SCP: unknown policy type", "use one of: SERVICE_CONTROL_POLICY"]),
    "numbers not an object": ({TAG: 5}, TAG, None, ["TAG_POLICY: expected an object, got 5", "documentCharacters"]),
    "unknown key": ({TAG: {"max": 5}}, TAG, "max", ["TAG_POLICY.max: unknown key", "use minimum, maximum, documentCharacters"]),
    "snake_case key": ({SCP: {"document_characters": 5120}}, SCP, "document_characters", ["unknown key"]),
    "a string": ({SCP: {"maximum": "5"}}, SCP, "maximum", ["SERVICE_CONTROL_POLICY.maximum: must be a whole number, got '5'"]),
    "a float": ({SCP: {"maximum": 5.0}}, SCP, "maximum", ["must be a whole number, got 5.0"]),
    "a boolean": ({SCP: {"minimum": True}}, SCP, "minimum", ["must be a whole number, got True"]),
    "null maximum": ({SCP: {"maximum": None}}, SCP, "maximum", ["must be a whole number, got None"]),
    "negative minimum": ({TAG: {"minimum": -1}}, TAG, "minimum", ["TAG_POLICY.minimum: must not be negative, got -1"]),
    "negative document size": ({SCP: {"documentCharacters": -5}}, SCP, "documentCharacters", ["must not be negative"]),
    "maximum 0": ({RCP: {"maximum": 0}}, RCP, "maximum", ["RESOURCE_CONTROL_POLICY.maximum: must be at least 1, got 0"]),
    "minimum above today's maximum": ({SCP: {"minimum": 11}}, SCP, "minimum", ["the minimum, 11, is above the maximum, 10"]),
    "minimum above its maximum": ({TAG: {"minimum": 4, "maximum": 3}}, TAG, "minimum", ["TAG_POLICY.minimum: the minimum, 4, is above the maximum, 3"]),
}


@pytest.mark.parametrize(("override", "policy_type", "key", "parts"), BAD_OVERRIDES.values(), ids=BAD_OVERRIDES.keys())
def test_bad_override_is_refused_naming_the_type_and_key(
    override: Any, policy_type: str | None, key: str | None, parts: list[str]
) -> None:
    with pytest.raises(LimitsConfigError) as raised:
        LimitsConfig.from_json(override)
    assert isinstance(raised.value, ValueError)
    assert (raised.value.policy_type, raised.value.key) == (policy_type, key)
    message = str(raised.value)
    assert "\n" not in message
    for part in parts:
        assert part in message, message


# --- the control API ---------------------------------------------------------------------------


def test_limits_route_shows_the_override_and_put_replaces_it(org: dict[str, Any], endpoint: Any) -> None:
    assert endpoint.control.limits() == TODAY.table_json()

    shown = endpoint.control.set_limits(BEFORE_2026_05_15)
    assert shown == endpoint.control.limits()
    assert shown["limits"][SCP] == {"minimum": 1, "maximum": 5, "documentCharacters": 5_120}
    assert shown["overridden"] == [SCP]
    assert endpoint.limits == LimitsConfig.from_json(BEFORE_2026_05_15)

    shown = endpoint.control.set_limits({TAG: {"maximum": 2}})  # replaces, does not merge
    assert shown["limits"][SCP]["maximum"] == 10
    assert shown["limits"][TAG]["maximum"] == 2
    assert shown["overridden"] == [TAG]

    endpoint.control.clear_limits()
    assert endpoint.control.limits() == TODAY.table_json()


def attach_new_scps(client: Any, target: str, count: int, prefix: str = "Scp") -> list[str]:
    """Create ``count`` SCPs and attach them to ``target``: what AttachPolicy answered each."""
    outcomes = []
    for n in range(count):
        policy_id = client.create_policy(Name=f"{prefix}{n}", Description="", Type=SCP,
                                         Content='{"Version":"2012-10-17","Statement":[]}'
                                         )["Policy"]["PolicySummary"]["Id"]
        try:
            client.attach_policy(PolicyId=policy_id, TargetId=target)
            outcomes.append("ok")
        except ClientError as err:
            outcomes.append(err.response.get("Reason", err.response["Error"]["Code"]))
    return outcomes


# (what happens after the override, outcomes of attaching 6 SCPs to an account with FullAWSAccess)
AFTER_OVERRIDE = {
    "override in force": (lambda control: None, ["ok"] * 4 + [MAX_REASON] * 2),
    "DELETE /_emulator/limits": (lambda control: control.clear_limits(), ["ok"] * 6),
    "POST /_emulator/reset": (lambda control: control.reset(), ["ok"] * 6),
}


@pytest.mark.parametrize(("then", "outcomes"), AFTER_OVERRIDE.values(), ids=AFTER_OVERRIDE.keys())
def test_delete_and_reset_bring_back_the_seeds_limits(
    then: Any, outcomes: list[str], org: dict[str, Any], endpoint: Any, orgs_client: Any
) -> None:
    endpoint.control.set_limits(BEFORE_2026_05_15)
    then(endpoint.control)
    target = endpoint.ids["accounts"]["sandbox-1"]  # the IDs change on a reset
    assert attach_new_scps(orgs_client, target, 6) == outcomes


def test_lowering_a_maximum_keeps_what_a_target_holds_and_refuses_more(
    org: dict[str, Any], endpoint: Any, orgs_client: Any
) -> None:
    target = org["accounts"]["sandbox-1"]
    assert attach_new_scps(orgs_client, target, 6) == ["ok"] * 6  # 7 with FullAWSAccess
    endpoint.control.set_limits(BEFORE_2026_05_15)
    assert attach_new_scps(orgs_client, target, 1, prefix="More") == [MAX_REASON]
    held = orgs_client.list_policies_for_target(TargetId=target, Filter=SCP)["Policies"]
    assert len(held) == 7


# (body as sent, parts of the 400's message)
BAD_BODIES = {
    "unknown type": (json.dumps({"SCP": {"maximum": 5}}), ["SCP: unknown policy type"]),
    "non-integer": (json.dumps({SCP: {"maximum": "5"}}), ["SERVICE_CONTROL_POLICY.maximum: must be a whole number"]),
    "minimum above maximum": (json.dumps({SCP: {"minimum": 6, "maximum": 5}}), ["SERVICE_CONTROL_POLICY.minimum"]),
    "not an object": (json.dumps([SCP]), ["expected an object of policy types"]),
    "empty body": ("", ["expected an object of policy types, got None"]),
    "not JSON": ("{SERVICE_CONTROL_POLICY: 5}", ["invalid JSON"]),
}


@pytest.mark.parametrize(("body", "parts"), BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_bad_limits_are_refused_over_http_and_change_nothing(
    body: str, parts: list[str], org: dict[str, Any], endpoint: Any
) -> None:
    endpoint.control.set_limits(BEFORE_2026_05_15)
    request = urllib.request.Request(f"{endpoint.url}/_emulator/limits", data=body.encode(), method="PUT")
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=10)
    assert raised.value.code == 400
    error = json.loads(raised.value.read())["error"]
    for part in parts:
        assert part in error, error
    assert endpoint.control.limits()["overridden"] == [SCP], "a refused setting must not apply"


def test_client_raises_control_error_with_the_message(org: dict[str, Any], endpoint: Any) -> None:
    with pytest.raises(ControlError, match=r"PUT .*/_emulator/limits failed with 400: TAG_POLICY\.max: unknown key"):
        endpoint.control.set_limits({TAG: {"max": 5}})


@pytest.mark.parametrize(("method", "status"), [("POST", 405), ("PATCH", 405)])
def test_limits_route_names_its_methods(method: str, status: int, endpoint: Any) -> None:
    with pytest.raises(ControlError, match=f"failed with {status}: .*use DELETE, GET, PUT"):
        endpoint.control._request(method, "limits")
