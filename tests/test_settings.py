"""provider.settings: the AWS layer's settings from stack config, the same keys
for the program, the guard and the provider."""

from __future__ import annotations

from typing import Any, Optional

import pulumi
import pytest

from provider.aws import DEFAULT_REGION, AwsSettings
from provider.settings import stack_config, stack_settings

# (case, config, region, profile, (max_attempts, base_delay, max_delay))
SETTINGS = [
    ("nothing set: defaults", {}, DEFAULT_REGION, None, (7, 2.0, 20.0)),
    ("region and profile", {"aws:region": "eu-west-1", "aws:profile": "org-admin"}, "eu-west-1", "org-admin",
     (7, 2.0, 20.0)),
    ("retry settings, as config strings", {"policyAttachment:maxAttempts": "12", "policyAttachment:baseDelay": "0.5",
                                           "policyAttachment:maxDelay": "5"}, DEFAULT_REGION, None, (12, 0.5, 5.0)),
    ("empty profile is none", {"aws:profile": ""}, DEFAULT_REGION, None, (7, 2.0, 20.0)),
]


@pytest.mark.parametrize("case, config, region, profile, retry", SETTINGS, ids=[row[0] for row in SETTINGS])
def test_settings_come_from_the_config_keys_with_defaults(case: str, config: dict[str, str], region: str,
                                                          profile: Optional[str],
                                                          retry: tuple[int, float, float]) -> None:
    settings = stack_settings(config.get)
    assert settings.aws == AwsSettings(region=region, profile=profile)
    assert (settings.retry.max_attempts, settings.retry.base_delay, settings.retry.max_delay) == retry
    api = settings.api()
    assert (api.settings, api.retry) == (settings.aws, settings.retry)


def test_a_bad_retry_value_is_a_value_error_naming_the_key() -> None:
    with pytest.raises(ValueError) as caught:
        stack_settings({"policyAttachment:maxAttempts": "0"}.get)
    assert str(caught.value) == "config policyAttachment:maxAttempts must be a positive number (at most 50), not '0'"


def test_stack_config_reads_the_running_programs_namespaced_keys() -> None:
    pulumi.runtime.set_all_config({"aws:region": "eu-west-1", "policyAttachment:maxAttempts": "3"})
    try:
        values: dict[str, Any] = {key: stack_config(key) for key in
                                  ("aws:region", "aws:profile", "policyAttachment:maxAttempts")}
        assert values == {"aws:region": "eu-west-1", "aws:profile": None, "policyAttachment:maxAttempts": "3"}
        assert stack_settings().retry.max_attempts == 3
    finally:
        pulumi.runtime.set_all_config({})  # nothing left behind for other tests
