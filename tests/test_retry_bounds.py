"""The retry bound, counted where it matters: HTTP requests that reach the endpoint.

Under a 100% fault of each retryable code, one attach and one detach through the AWS layer
make exactly the README's number of requests (botocore adds none of its own), wait the
injected schedule, and fail with a message naming the call, the code, the attempts and the
time. A connection error is counted by a listener that accepts and drops every connection,
and by botocore's send event for a port where nothing listens.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from provider import errors
from provider.aws import OrganizationsApi
from provider.retry import RetryPolicy

RETRYABLE = ["ServiceException", "TooManyRequestsException", "ConcurrentModificationException",
             "PolicyChangesInProgressException", "FinalizingOrganizationException"]


def recorded_policy(**kw) -> tuple[RetryPolicy, list[float]]:
    """Default bounds; waits recorded instead of slept, the clock advancing by them."""
    sleeps: list[float] = []
    return RetryPolicy(sleep=sleeps.append, random=lambda: 1.0, clock=lambda: sum(sleeps), **kw), sleeps


def one_call(api: OrganizationsApi, org, operation: str) -> None:
    if operation == "AttachPolicy":
        api.attach_policy(org["policies"]["RestrictRegions"], org["accounts"]["sandbox-1"])
    else:
        api.detach_policy(org["policies"]["DenyLeaveOrganization"], org["root"])


@pytest.mark.parametrize("operation", ["AttachPolicy", "DetachPolicy"])
@pytest.mark.parametrize("code", RETRYABLE)
def test_a_persistent_retryable_error_costs_exactly_the_stated_requests(endpoint, org, calls, operation, code):
    policy, sleeps = recorded_policy()
    api = OrganizationsApi(retry=policy)
    endpoint.control.set_faults(rate=1.0, codes=[code], operations=[operation])
    try:
        with pytest.raises(errors.RetriesExhaustedError) as err:
            one_call(api, org, operation)
    finally:
        endpoint.control.clear_faults()
    assert calls() == {operation: 7}
    assert sleeps == [2.0, 4.0, 8.0, 16.0, 20.0, 20.0]
    message = str(err.value)
    for part in (operation, code, "7 attempts", "over 70.0s"):
        assert part in message


@pytest.mark.parametrize("operation", ["AttachPolicy", "DetachPolicy"])
@pytest.mark.parametrize("code", RETRYABLE)
def test_a_transient_error_is_ridden_out_with_one_request_per_attempt(endpoint, org, calls, operation, code):
    policy, sleeps = recorded_policy()
    api = OrganizationsApi(retry=policy)
    endpoint.control.set_faults(rate=1.0, codes=[code], operations=[operation], limit=3)
    one_call(api, org, operation)
    assert calls() == {operation: 4} and len(sleeps) == 3
    assert endpoint.control.faulted() == {operation: 3}


@pytest.mark.parametrize("operation", ["AttachPolicy", "DetachPolicy"])
def test_a_configured_bound_is_the_request_count(endpoint, org, calls, operation):
    policy, _ = recorded_policy(max_attempts=2)
    endpoint.control.set_faults(rate=1.0, codes=["TooManyRequests"], operations=[operation])
    try:
        with pytest.raises(errors.RetriesExhaustedError, match="2 attempts"):
            one_call(OrganizationsApi(retry=policy), org, operation)
    finally:
        endpoint.control.clear_faults()
    assert calls() == {operation: 2}


@pytest.fixture
def dropping_listener() -> Iterator[tuple[str, list[int]]]:
    """A port that accepts each connection, reads the request, and closes without answering."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted: list[int] = []
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            accepted.append(1)
            with conn:
                conn.recv(65536)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}", accepted
    stop.set()
    thread.join()
    server.close()


def counting_sends(api: OrganizationsApi) -> list[int]:
    sent: list[int] = []
    api.client.meta.events.register("before-send.organizations", lambda **_: sent.append(1))
    return sent


@pytest.mark.parametrize("operation", ["AttachPolicy", "DetachPolicy"])
def test_a_dropped_connection_costs_three_requests(dropping_listener, monkeypatch, org, operation):
    url, accepted = dropping_listener
    monkeypatch.setenv("AWS_ENDPOINT_URL_ORGANIZATIONS", url)
    policy, sleeps = recorded_policy()
    api = OrganizationsApi(retry=policy)
    sent = counting_sends(api)
    with pytest.raises(errors.AwsConnectionError) as err:
        one_call(api, org, operation)
    assert (len(sent), len(accepted), sleeps) == (3, 3, [2.0, 4.0])
    for part in (operation, "3 attempts over 6.0s", "ConnectionClosedError"):
        assert part in str(err.value)


@pytest.mark.parametrize("operation", ["AttachPolicy", "DetachPolicy"])
def test_a_closed_port_costs_three_attempts(monkeypatch, org, operation):
    monkeypatch.setenv("AWS_ENDPOINT_URL_ORGANIZATIONS", "http://127.0.0.1:9")  # discard: nothing listens
    policy, sleeps = recorded_policy()
    api = OrganizationsApi(retry=policy)
    sent = counting_sends(api)
    with pytest.raises(errors.AwsConnectionError) as err:
        one_call(api, org, operation)
    assert (len(sent), sleeps) == (3, [2.0, 4.0])
    for part in (operation, "3 attempts over 6.0s", "EndpointConnectionError", "AWS_ENDPOINT_URL_ORGANIZATIONS"):
        assert part in str(err.value)
