"""Shared fixtures.

The local Organizations endpoint (``emulator``):
- ``endpoint`` (session): one in-process endpoint on a free port, seeded with the sample
  organization; the AWS_* variables point at it for the whole session (subprocesses inherit
  them) and are restored afterwards.
- ``org``: resets the endpoint (fresh sample organization, counts and faults cleared) and
  returns its IDs. Use it in every test that touches the endpoint: moto keeps its state per
  process, so anything else in the process that resets moto (e.g. ``mock_aws``) wipes it too.
- ``orgs_client``: a boto3 Organizations client for the endpoint, from its own session.
- ``make_client``: makes more such clients: ``make_client("sts", config=Config(...))``.
- ``calls``: reads the endpoint's per-operation call counts (non-zero ones) since the test began.
- ``make_scps``: ``make_scps(n)`` creates n new, unattached deny-only SCPs and returns their IDs;
  ``make_scps(n, allow=True)`` allow-list SCPs (an Allow statement: they keep a target usable).
- ``statement_document(n)`` (a function): a policy document of exactly n characters.

The Pulumi CLI (``harness.cli``), for the end-to-end tests:
- ``pulumi_cli`` (session): skips, saying why, where no ``pulumi`` 3.182+ with its Python
  language host is on PATH; with ``E2E_REQUIRED`` set (``.ci/run``) that is a failure instead.
- ``project``: a copy of this repository's files in ``tmp_path`` (``harness.cli.Project``), its
  commands pointed at the endpoint, with state of its own.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import boto3
import botocore.session
import pytest
from botocore.loaders import create_loader

from harness.cli import CliMissingError, Project, require_cli
from harness.environment import environment

if TYPE_CHECKING:
    from emulator import Endpoint

REGION = "us-east-1"
# One loader for every client: each fresh session otherwise re-reads the service model
# (~0.15 s a client).
_LOADER = create_loader()


@pytest.fixture(scope="session")
def endpoint() -> Iterator[Endpoint]:
    # Imported here so test runs that never use the endpoint don't pay for importing moto.
    from emulator import start_endpoint

    with start_endpoint() as running:
        with environment({**running.env(), "AWS_DEFAULT_REGION": REGION}):
            yield running


@pytest.fixture
def org(endpoint: Endpoint) -> dict[str, Any]:
    """IDs of a fresh sample organization (see emulator/sample/organization.yaml)."""
    return endpoint.control.reset()


@pytest.fixture
def make_client(endpoint: Endpoint) -> Callable[..., Any]:
    """``make_client(service="organizations", **client_kwargs)``: a client for the endpoint.

    Each has a fresh boto3 session (safe to use from its own thread); sessions share one
    botocore loader, so the service model is parsed once per test run, not per client.
    """

    def make(service: str = "organizations", **client_kwargs: Any) -> Any:
        core = botocore.session.Session()
        core.register_component("data_loader", _LOADER)
        return boto3.session.Session(botocore_session=core).client(
            service,
            endpoint_url=endpoint.url,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            **client_kwargs,
        )

    return make


@pytest.fixture
def orgs_client(make_client: Callable[..., Any]) -> Any:
    return make_client()


@pytest.fixture
def calls(endpoint: Endpoint, org: dict[str, Any]) -> Callable[[], dict[str, int]]:
    """``calls()``: AWS calls per operation (non-zero ones) since the test began."""
    endpoint.control.reset_calls()
    return lambda: {op: n for op, n in endpoint.control.calls().items() if n}


def statement_document(length: int) -> str:
    """A policy document of exactly ``length`` characters (padding in the Sid)."""
    empty = '{"Version":"2012-10-17","Statement":[{"Sid":"","Effect":"Deny","Action":"s3:x","Resource":"*"}]}'
    return empty.replace('"Sid":""', '"Sid":"' + "x" * (length - len(empty)) + '"')


SCP_CONTENT = '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:x","Resource":"*"}]}'
ALLOW_LIST_CONTENT = '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["ec2:*","s3:*"],"Resource":"*"}}'


@pytest.fixture
def make_scps(orgs_client: Any) -> Callable[..., list[str]]:
    """``make_scps(n, allow=False)``: IDs of n new SCPs (Extra0, Extra1, ...; AllowList0,
    ... with ``allow``), attached nowhere."""

    def make(count: int, allow: bool = False) -> list[str]:
        prefix, content = ("AllowList", ALLOW_LIST_CONTENT) if allow else ("Extra", SCP_CONTENT)
        return [orgs_client.create_policy(Name=f"{prefix}{n}", Description="x", Type="SERVICE_CONTROL_POLICY",
                                          Content=content)["Policy"]["PolicySummary"]["Id"]
                for n in range(count)]

    return make


@pytest.fixture(scope="session")
def pulumi_cli() -> None:
    try:
        require_cli()
    except CliMissingError as err:
        if os.environ.get("E2E_REQUIRED"):  # CI builds the CLI and its host: a missing one is a failure there
            pytest.fail(f"E2E_REQUIRED is set but {err}")
        pytest.skip(f"end-to-end tests need the pulumi CLI and its Python language host: {err}")


@pytest.fixture
def project(pulumi_cli: None, endpoint: Endpoint, tmp_path: Any) -> Project:
    """This project in a folder of its own, as a user has it: ``pulumi`` commands run there."""
    return Project.copy(tmp_path)
