"""Big generated organizations, and the endpoint that serves them.

Roles:

* :class:`OrgShape`: how many targets (root + OUs + accounts) and how many
  custom SCPs each carries next to the AWS-managed FullAWSAccess.
* :func:`write_seed`: the shape as a seed YAML (``emulator/seed.py``
  format) in a folder of our own; the emulator checks it like any seed.
* :func:`serving`: start the in-process endpoint on a seed and point this
  process's environment (inherited by provider servers) at it.
* :func:`all_targets`: every target ID of a seeded organization.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, cast

import boto3

from emulator import Endpoint, EndpointControl, start_endpoint
from harness.environment import environment
from provider import AWS_LIMITS

REGION = "us-east-1"
SCP = "SERVICE_CONTROL_POLICY"
TAG = "TAG_POLICY"
FULL_AWS_ACCESS = "p-FullAWSAccess"
#: Most SCPs a target may carry (AWS's number, as provider.limits has it); FullAWSAccess takes one slot.
MAX_SCPS_PER_TARGET = cast(int, AWS_LIMITS[SCP].maximum)  # SCPs have one (10)
#: SCPs per target in the benchmark's generated organizations: five (FullAWSAccess and four), the
#: shape every figure in the README was measured on, whatever AWS's maximum (ten since 2026-05-15).
BENCH_SCPS_PER_TARGET = 5
ACCOUNTS_PER_OU = 10
MANAGEMENT = "management"


@dataclass(frozen=True)
class OrgShape:
    """``targets`` roots/OUs/accounts (the management account included), each
    with FullAWSAccess and ``extra_scps`` custom SCPs.

    Custom SCPs are assigned round-robin from a pool of ``policies``, so a
    target never gets the same one twice as long as ``extra_scps <= policies``.
    """

    targets: int
    extra_scps: int = 0
    policies: int = 20

    def __post_init__(self) -> None:
        if self.targets < 2:
            raise ValueError(f"an organization has at least its root and management account, "
                             f"not {self.targets} targets")
        if not 0 <= self.extra_scps <= MAX_SCPS_PER_TARGET - 1:
            raise ValueError(f"extra_scps must be 0..{MAX_SCPS_PER_TARGET - 1} (FullAWSAccess "
                             f"takes one of the {MAX_SCPS_PER_TARGET} slots), not {self.extra_scps}")
        if self.extra_scps > self.policies:
            raise ValueError("extra_scps cannot exceed the policy pool")

    @property
    def ous(self) -> int:
        return (self.targets - 1) // (ACCOUNTS_PER_OU + 1)

    @property
    def members(self) -> int:
        """Accounts besides the management account."""
        return self.targets - 2 - self.ous

    @property
    def attachments(self) -> int:
        """SCP attachments in the organization, FullAWSAccess included."""
        return self.targets * (1 + self.extra_scps)

    @classmethod
    def with_attachments(cls, attachments: int, per_target: int = BENCH_SCPS_PER_TARGET) -> OrgShape:
        """The shape with ``attachments`` SCP attachments, ``per_target`` on every target."""
        if attachments % per_target:
            raise ValueError(f"{attachments} attachments do not split into {per_target} per target")
        return cls(targets=attachments // per_target, extra_scps=per_target - 1)


def write_seed(shape: OrgShape, folder: Path) -> Path:
    """Write ``shape`` as ``folder/organization.yaml`` (plus one policy file); return its path."""
    policy_file = folder / "deny-example.json"
    policy_file.write_text(json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "example:Nothing", "Resource": "*"}],
    }))
    ous = [f"Root/ou-{n:04d}" for n in range(shape.ous)]
    accounts = [{"name": f"acct-{n:04d}", "ou": ous[n % len(ous)] if ous else "Root"}
                for n in range(shape.members)]
    policies = [{"name": f"Scp{n:03d}", "content_file": policy_file.name} for n in range(shape.policies)]
    # The order all_targets() returns the IDs in.
    targets = ["Root", *ous, MANAGEMENT, *(a["name"] for a in accounts)]
    attachments = []
    if shape.extra_scps:
        for index, target in enumerate(targets):
            names = [policies[(index + k) % shape.policies]["name"] for k in range(shape.extra_scps)]
            attachments.append({"target": target, "policies": names})
    seed = {
        "enabled_policy_types": [SCP, TAG],
        "management_account": {"name": MANAGEMENT},
        "organizational_units": ous,
        "accounts": accounts,
        "policies": policies,
        "attachments": attachments,
    }
    path = folder / "organization.yaml"
    path.write_text(json.dumps(seed, indent=1))  # JSON is YAML
    return path


@contextmanager
def serving(shape: Optional[OrgShape] = None) -> Iterator[Endpoint]:
    """An endpoint seeded with ``shape`` (None: the bare organization), with
    this process's AWS_* environment pointing at it until the block ends."""
    with tempfile.TemporaryDirectory(prefix="bench-org-") as folder:
        seed = None if shape is None else write_seed(shape, Path(folder))
        endpoint = start_endpoint(seed=seed, port=0)
        try:
            with environment(endpoint.env()):
                yield endpoint
        finally:
            endpoint.stop()


@dataclass
class EndpointProcess:
    """An endpoint serving from its own process: ``url``, ``ids``, ``control``."""

    url: str
    ids: dict[str, Any]
    control: EndpointControl


@contextmanager
def serving_apart(shape: OrgShape) -> Iterator[EndpointProcess]:
    """Like :func:`serving`, but the endpoint runs in a process of its own
    (``python -m emulator``), so measurements of a Pulumi program
    running in this process do not share its interpreter lock with moto."""
    with tempfile.TemporaryDirectory(prefix="bench-org-") as folder:
        with serving_seed_apart(write_seed(shape, Path(folder))) as endpoint:
            yield endpoint


@contextmanager
def serving_seed_apart(seed: Path) -> Iterator[EndpointProcess]:
    """:func:`serving_apart` for a seed file of any organization (its IDs go next to it)."""
    ids_file = seed.parent / "ids.json"
    with socket.socket() as probe:  # a free port, handed over to the child
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    child = subprocess.Popen(
        [sys.executable, "-m", "emulator", "--seed", str(seed), "--port", str(port),
         "--ids-out", str(ids_file)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not ids_file.exists():
            if child.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the endpoint did not start: {child.stderr.read() if child.stderr else ''}")
            time.sleep(0.1)
        url = f"http://127.0.0.1:{port}"
        env = {"AWS_ENDPOINT_URL_ORGANIZATIONS": url, "AWS_ACCESS_KEY_ID": "testing",
               "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION}
        with environment(env):
            yield EndpointProcess(url, json.loads(ids_file.read_text()), EndpointControl(url))
    finally:
        child.terminate()
        child.wait(timeout=30)


def client(endpoint: Endpoint) -> Any:
    """A boto3 Organizations client for ``endpoint``, from its own session.

    One request per call like the provider's client, so a direct call and the
    provider's call do the same botocore work.
    """
    from botocore.config import Config

    return boto3.session.Session().client(
        "organizations", endpoint_url=endpoint.url, region_name=REGION,
        aws_access_key_id="testing", aws_secret_access_key="testing",
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
    )


def all_targets(ids: dict[str, Any]) -> list[str]:
    """Every root, OU and account ID of a seeded organization: root, OUs, the
    management account, then the member accounts in creation order."""
    return [ids["root"], *ids["ous"].values(), *ids["accounts"].values()]


def custom_attachments(ids: dict[str, Any], shape: OrgShape) -> list[tuple[str, str]]:
    """(target_id, policy_id) of every custom SCP attachment ``write_seed`` made."""
    policy_ids = [ids["policies"][f"Scp{n:03d}"] for n in range(shape.policies)]
    return [(target, policy_ids[(index + k) % shape.policies])
            for index, target in enumerate(all_targets(ids)) for k in range(shape.extra_scps)]
