"""The endpoint's optional request-rate limit: a token bucket answering AWS's throttling error."""

from __future__ import annotations

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from emulator.control import ControlError
from emulator.ratelimit import RateLimitConfig, RateLimitConfigError, RateLimiter

SCP = "SERVICE_CONTROL_POLICY"


@pytest.mark.parametrize("rate, burst, expected", [
    (10, None, RateLimitConfig(10.0, 10.0)),
    (0.5, None, RateLimitConfig(0.5, 1.0)),  # at least one request at once
    (10, 3, RateLimitConfig(10.0, 3.0)),
    (None, None, RateLimitConfig()),  # no limit
    (0, None, "rate must be a number above 0"),
    (-1, None, "rate must be a number above 0"),
    ("10", None, "rate must be a number above 0, got '10'"),
    (True, None, "rate must be a number above 0"),
    (10, 0.5, "burst must be at least 1"),
    (None, 3, "burst needs a rate"),
])
def test_config_is_validated_with_a_message_naming_the_field(rate, burst, expected):
    if isinstance(expected, str):
        with pytest.raises(RateLimitConfigError, match=expected):
            RateLimitConfig.build(rate, burst)
    else:
        assert RateLimitConfig.build(rate, burst) == expected


def test_the_bucket_admits_the_burst_then_the_rate():
    now = [0.0]
    limiter = RateLimiter(RateLimitConfig.build(10, 2), clock=lambda: now[0])
    assert [limiter.admit() for _ in range(3)] == [True, True, False]
    now[0] += 0.1  # one token back
    assert [limiter.admit() for _ in range(2)] == [True, False]
    now[0] += 10  # refills to the burst, no more
    assert [limiter.admit() for _ in range(3)] == [True, True, False]
    assert limiter.state() == {"rate": 10.0, "burst": 2.0, "throttled": 3}
    limiter.clear()
    assert all(limiter.admit() for _ in range(100))


@pytest.fixture
def once(make_client):
    """A client that sends each call once, so every throttle reaches the test."""
    return make_client(config=Config(retries={"mode": "standard", "total_max_attempts": 1}))


def test_over_the_limit_calls_get_aws_throttling_shape_and_change_nothing(endpoint, org, once, calls):
    target, policy = org["accounts"]["sandbox-1"], org["policies"]["RestrictRegions"]
    endpoint.control.set_rate_limit(rate=0.01, burst=2)  # no refill within the test
    once.list_roots()
    once.list_roots()
    with pytest.raises(ClientError) as err:
        once.attach_policy(PolicyId=policy, TargetId=target)
    assert err.value.response["Error"]["Code"] == "TooManyRequestsException"
    assert err.value.response["Type"] == "Throttling"  # the modeled member, as botocore parses it
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert endpoint.control.throttled() == {"AttachPolicy": 1}
    assert calls() == {"ListRoots": 2, "AttachPolicy": 1}
    assert endpoint.control.rate_limit() == {"rate": 0.01, "burst": 2.0, "throttled": 1}
    endpoint.control.clear_rate_limit()
    attached = once.list_policies_for_target(TargetId=target, Filter=SCP)["Policies"]
    assert policy not in {p["Id"] for p in attached}  # the throttled attach changed nothing


def test_reset_clears_the_limit(endpoint, org, once):
    endpoint.control.set_rate_limit(rate=0.01, burst=1)
    endpoint.control.reset()
    assert endpoint.control.rate_limit()["rate"] is None
    for _ in range(5):
        once.list_roots()


@pytest.mark.parametrize("payload, message", [
    ({"rate": 0}, "rate must be a number above 0"),
    ({"burst": 2}, "rate is required"),
    ({"rate": 5, "per": "s"}, "unknown fields ['per']"),
    ([5], "expected a JSON object"),
])
def test_bad_settings_are_refused_by_the_control_api(endpoint, org, payload, message):
    with pytest.raises(ControlError) as err:
        endpoint.control._request("PUT", "rate-limit", payload)
    assert "400" in str(err.value) and message in str(err.value)
    assert endpoint.control.rate_limit()["rate"] is None
