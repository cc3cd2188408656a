"""The bounded retry for codes botocore's standard mode does not retry."""

import pytest
from botocore.exceptions import ClientError

from provider.errors import RetriesExhaustedError
from provider.retry import RetryPolicy, TransientErrorChecker


def client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "m"}}, "AttachPolicy")


@pytest.mark.parametrize(
    "code, retryable",
    [
        ("ConcurrentModificationException", True),
        ("PolicyChangesInProgressException", True),
        ("FinalizingOrganizationException", True),
        ("ServiceException", True),
        ("TooManyRequestsException", False),  # botocore's standard mode owns throttling
        ("ConstraintViolationException", False),
        ("AccessDeniedException", False),
    ],
)
def test_transient_codes(code, retryable):
    assert TransientErrorChecker().is_retryable(client_error(code)) is retryable


def make_policy(**kw):
    sleeps: list[float] = []
    policy = RetryPolicy(sleep=sleeps.append, random=lambda: 0.5, clock=lambda: 0.0, **kw)
    return policy, sleeps


def test_backoff_schedule_is_exponential_capped_and_jittered():
    policy, _ = make_policy()
    assert [policy.delay(n) for n in range(1, 7)] == [1.5, 3.0, 6.0, 12.0, 15.0, 15.0]
    lo = RetryPolicy(random=lambda: 0.0)
    hi = RetryPolicy(random=lambda: 1.0)
    assert (lo.delay(3), hi.delay(3)) == (4.0, 8.0)


def test_defaults_ride_out_a_busy_organization():
    policy = RetryPolicy()
    assert policy.max_attempts >= 5
    worst = sum(min(policy.max_delay, policy.base_delay * 2 ** (n - 1)) for n in range(1, policy.max_attempts))
    assert 45 <= worst <= 90


def test_succeeds_after_transient_failures_calling_once_per_attempt():
    policy, sleeps = make_policy()
    calls = []

    def fn():
        calls.append(1)
        if len(calls) < 3:
            raise client_error("ConcurrentModificationException")
        return "ok"

    assert policy.call("AttachPolicy", fn) == "ok"
    assert len(calls) == 3 and sleeps == [1.5, 3.0]


def test_gives_up_after_max_attempts_naming_operation_and_code():
    policy, sleeps = make_policy(max_attempts=3)

    def fn():
        raise client_error("PolicyChangesInProgressException")

    with pytest.raises(RetriesExhaustedError) as err:
        policy.call("DetachPolicy", fn)
    assert "DetachPolicy" in str(err.value) and "PolicyChangesInProgressException" in str(err.value)
    assert "3 attempts" in str(err.value)
    assert isinstance(err.value.__cause__, ClientError)
    assert len(sleeps) == 2


def test_non_transient_errors_are_raised_at_once():
    policy, sleeps = make_policy()
    with pytest.raises(ClientError):
        policy.call("AttachPolicy", lambda: (_ for _ in ()).throw(client_error("ConstraintViolationException")))
    assert sleeps == []
