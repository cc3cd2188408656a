"""The one retry layer: what is retried, in which class, on which schedule, within which bound."""

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)

from provider.errors import AwsConnectionError, RetriesExhaustedError
from provider.retry import ErrorClass, RetryPolicy, classify, may_have_applied


def client_error(code: str, status: int = 400) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "m"},
                        "ResponseMetadata": {"HTTPStatusCode": status}}, "AttachPolicy")


URL = "http://127.0.0.1:9"


@pytest.mark.parametrize("err, error_class, applied", [
    (client_error("TooManyRequestsException"), ErrorClass.THROTTLING, False),
    (client_error("ThrottlingException"), ErrorClass.THROTTLING, False),
    (client_error("SomethingNew", 429), ErrorClass.THROTTLING, False),
    (client_error("ConcurrentModificationException"), ErrorClass.BUSY, False),
    (client_error("PolicyChangesInProgressException"), ErrorClass.BUSY, False),
    (client_error("FinalizingOrganizationException"), ErrorClass.BUSY, False),
    (client_error("ServiceException", 500), ErrorClass.SERVICE, True),
    (client_error("InternalFailure", 500), ErrorClass.SERVICE, True),
    (client_error("BadGateway", 502), ErrorClass.SERVICE, True),
    (EndpointConnectionError(endpoint_url=URL), ErrorClass.CONNECTION, False),
    (ConnectTimeoutError(endpoint_url=URL), ErrorClass.CONNECTION, False),
    (ConnectionClosedError(endpoint_url=URL), ErrorClass.CONNECTION, True),  # sent, answer lost
    (ReadTimeoutError(endpoint_url=URL), ErrorClass.CONNECTION, True),
    # negative rows: refusals another attempt would not change
    (client_error("ConstraintViolationException"), None, False),
    (client_error("DuplicatePolicyAttachmentException"), None, False),
    (client_error("AccessDeniedException"), None, False),
    (client_error("InvalidInputException"), None, False),
    (NoCredentialsError(), None, False),
])
def test_each_failure_has_one_class_and_says_whether_it_may_have_applied(err, error_class, applied):
    assert classify(err) is error_class
    assert may_have_applied(err) is applied


def make_policy(**kw):
    """A policy whose clock advances by exactly the waits it asks for."""
    sleeps: list[float] = []
    policy = RetryPolicy(sleep=sleeps.append, random=lambda: 1.0, clock=lambda: sum(sleeps), **kw)
    return policy, sleeps


def failing(*errors_in_order):
    """fn failing with each error in turn, then returning "ok"; counts its calls."""
    calls = []

    def fn():
        calls.append(1)
        if len(calls) <= len(errors_in_order):
            raise errors_in_order[len(calls) - 1]
        return "ok"

    return fn, calls


def test_backoff_schedule_is_exponential_capped_and_jittered():
    policy = RetryPolicy(random=lambda: 0.5)
    assert [policy.delay(n) for n in range(1, 7)] == [1.5, 3.0, 6.0, 12.0, 15.0, 15.0]
    lo, hi = RetryPolicy(random=lambda: 0.0), RetryPolicy(random=lambda: 1.0)
    assert (lo.delay(3), hi.delay(3)) == (4.0, 8.0)


@pytest.mark.parametrize("error_class, attempts, worst_wait", [
    (ErrorClass.THROTTLING, 7, 70.0),
    (ErrorClass.BUSY, 7, 70.0),
    (ErrorClass.SERVICE, 7, 70.0),
    (ErrorClass.CONNECTION, 3, 6.0),
])
def test_default_bounds_per_class_are_what_the_readme_states(error_class, attempts, worst_wait):
    policy = RetryPolicy()
    assert (policy.attempts_for(error_class), policy.worst_case_wait(error_class)) == (attempts, worst_wait)


def test_succeeds_after_mixed_transient_failures_calling_once_per_attempt():
    policy, sleeps = make_policy()
    fn, calls = failing(client_error("ConcurrentModificationException"), client_error("TooManyRequestsException"),
                        EndpointConnectionError(endpoint_url=URL))
    assert policy.call("AttachPolicy", fn) == "ok"
    assert len(calls) == 4 and sleeps == [2.0, 4.0, 8.0]


@pytest.mark.parametrize("err, attempts, cls, words", [
    (client_error("PolicyChangesInProgressException"), 7, RetriesExhaustedError,
     ["DetachPolicy", "PolicyChangesInProgressException", "7 attempts", "over 70.0s", "busy"]),
    (client_error("TooManyRequestsException"), 7, RetriesExhaustedError,
     ["TooManyRequestsException", "7 attempts", "throttled", "--parallel"]),
    (client_error("ServiceException", 500), 7, RetriesExhaustedError,
     ["ServiceException", "7 attempts", "may have been applied", "pulumi refresh"]),
    (EndpointConnectionError(endpoint_url=URL), 3, AwsConnectionError,
     ["DetachPolicy (3 attempts over 6.0s)", "EndpointConnectionError", "AWS_ENDPOINT_URL_ORGANIZATIONS"]),
])
def test_gives_up_at_the_bound_naming_call_code_attempts_and_time(err, attempts, cls, words):
    policy, sleeps = make_policy()
    fn, calls = failing(*[err] * 50)
    with pytest.raises(cls) as raised:
        policy.call("DetachPolicy", fn)
    assert len(calls) == attempts and len(sleeps) == attempts - 1
    for word in words:
        assert word in str(raised.value)
    assert raised.value.__cause__ is err


def test_connection_failures_have_their_own_smaller_budget_within_the_total():
    policy, _ = make_policy(max_attempts=5)
    fn, calls = failing(EndpointConnectionError(endpoint_url=URL), client_error("ConcurrentModificationException"),
                        EndpointConnectionError(endpoint_url=URL), client_error("ServiceException", 500),
                        EndpointConnectionError(endpoint_url=URL))
    with pytest.raises(AwsConnectionError):
        policy.call("AttachPolicy", fn)
    assert len(calls) == 5
    policy, _ = make_policy(max_attempts=2)  # the total bounds connection failures too
    fn, calls = failing(*[EndpointConnectionError(endpoint_url=URL)] * 5)
    with pytest.raises(AwsConnectionError):
        policy.call("AttachPolicy", fn)
    assert len(calls) == 2


@pytest.mark.parametrize("err", [client_error("ConstraintViolationException"), NoCredentialsError()])
def test_non_retryable_errors_are_raised_unchanged_at_once(err):
    policy, sleeps = make_policy()
    fn, calls = failing(err)
    with pytest.raises(type(err)) as raised:
        policy.call("AttachPolicy", fn)
    assert raised.value is err and len(calls) == 1 and sleeps == []


def test_on_failure_sees_every_failed_attempt():
    policy, _ = make_policy()
    seen = []
    errors_in_order = (client_error("ServiceException", 500), client_error("ConcurrentModificationException"))
    fn, _ = failing(*errors_in_order)
    policy.call("AttachPolicy", fn, on_failure=seen.append)
    assert seen == list(errors_in_order)
