"""``python -m emulator`` as a user runs it: starts, prints how to use it, serves,
stops cleanly on SIGINT/SIGTERM, and refuses bad input with one line and exit code 2."""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from emulator.control import EndpointControl
from tests.conftest import statement_document

ROOT = Path(__file__).resolve().parent.parent
REQUIRED_ENV_LINES = (
    "export AWS_ENDPOINT_URL_ORGANIZATIONS=http://127.0.0.1:",
    "export AWS_ACCESS_KEY_ID=testing",
    "export AWS_SECRET_ACCESS_KEY=testing",
    "export AWS_REGION=us-east-1",
)
CUSTOM_SEED = """\
enabled_policy_types: [SERVICE_CONTROL_POLICY, BACKUP_POLICY]
organizational_units: [Root/Teams/Data]
accounts:
  - {name: lake, ou: Root/Teams/Data}
policies:
  - {name: Backups, type: BACKUP_POLICY, content_file: backup.json}
attachments:
  - {target: lake, policies: [Backups]}
"""
LIMITS_SEED = """\
organizational_units: [Root/Teams]
limits:
  SERVICE_CONTROL_POLICY: {maximum: 5, documentCharacters: 5120}
"""


def start_cli(*args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "MOTO_ACCOUNT_ID"}
    return subprocess.Popen(
        [sys.executable, "-m", "emulator", *args],
        cwd=ROOT, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def read_banner(proc: subprocess.Popen[str], timeout: float = 60.0) -> list[str]:
    """stdout lines up to "Press Ctrl-C to stop.", without blocking past ``timeout``."""
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in iter(proc.stdout.readline, ""):
            lines.put(line.rstrip("\n"))
            if line.startswith("Press Ctrl-C"):
                return  # leave the rest (the "Stopped." line) to communicate()

    threading.Thread(target=pump, daemon=True).start()
    banner: list[str] = []
    deadline = time.monotonic() + timeout
    while not banner or not banner[-1].startswith("Press Ctrl-C"):
        try:
            banner.append(lines.get(timeout=max(0.0, deadline - time.monotonic())))
        except queue.Empty:
            proc.kill()
            pytest.fail(f"no banner; stdout {banner}, stderr {proc.communicate()[1]}")
    return banner


def client(url: str) -> Any:
    return boto3.session.Session().client(
        "organizations", endpoint_url=url, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}))


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def check_sample(url: str, ids: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as raised:  # the rules are on in the CLI's endpoint too
        client(url).detach_policy(PolicyId="p-FullAWSAccess", TargetId=ids["ous"]["Root/Sandbox"])
    assert raised.value.response["Reason"] == "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED"


def check_custom(url: str, ids: dict[str, Any]) -> None:
    assert list(ids["ous"]) == ["Root/Teams", "Root/Teams/Data"]
    policies = client(url).list_policies_for_target(
        TargetId=ids["accounts"]["lake"], Filter="BACKUP_POLICY")["Policies"]
    assert [p["Name"] for p in policies] == ["Backups"]


def check_bare_with_faults(url: str, ids: dict[str, Any]) -> None:
    assert ids["ous"] == {} and list(ids["accounts"]) == ["management"]
    with pytest.raises(ClientError) as raised:
        client(url).list_roots()
    assert raised.value.response["Error"]["Code"] == "ServiceException"
    assert get_json(f"{url}/_emulator/calls")["faulted"]["ListRoots"] >= 1


def check_rate_limited(url: str, ids: dict[str, Any]) -> None:
    orgs = client(url)
    orgs.list_roots(), orgs.list_roots()  # the burst of 2
    with pytest.raises(ClientError) as raised:
        orgs.list_roots()
    assert raised.value.response["Error"]["Code"] == "TooManyRequestsException"
    assert get_json(f"{url}/_emulator/rate-limit") == {"rate": 0.01, "burst": 2.0, "throttled": 1}


def check_seed_limits(url: str, ids: dict[str, Any]) -> None:
    orgs, control = client(url), EndpointControl(url)
    assert control.limits()["overridden"] == ["SERVICE_CONTROL_POLICY"]
    outcomes = []
    for n in range(5):  # the OU holds FullAWSAccess: 4 fit under the seed's maximum of 5
        policy_id = orgs.create_policy(Name=f"S{n}", Description="", Type="SERVICE_CONTROL_POLICY",
                                       Content=statement_document(5_120))["Policy"]["PolicySummary"]["Id"]
        try:
            orgs.attach_policy(PolicyId=policy_id, TargetId=ids["ous"]["Root/Teams"])
            outcomes.append("ok")
        except ClientError as err:
            outcomes.append(err.response["Reason"])
    assert outcomes == ["ok"] * 4 + ["MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED"]
    with pytest.raises(ClientError) as raised:
        orgs.create_policy(Name="Big", Description="", Type="SERVICE_CONTROL_POLICY",
                           Content=statement_document(5_121))
    assert raised.value.response["Reason"] == "POLICY_CONTENT_LIMIT_EXCEEDED"
    control.clear_limits()  # back to the seed's, not today's
    assert control.limits()["limits"]["SERVICE_CONTROL_POLICY"]["maximum"] == 5
    control.set_limits({})
    assert control.limits()["limits"]["SERVICE_CONTROL_POLICY"]["maximum"] == 10
    control.reset()
    assert control.limits()["limits"]["SERVICE_CONTROL_POLICY"]["maximum"] == 5


def check_limits_option(url: str, ids: dict[str, Any]) -> None:
    control = EndpointControl(url)
    for _ in range(2):  # the option replaces the seed file's limits, also after a reset
        limits = control.limits()
        assert limits["overridden"] == ["TAG_POLICY"]
        assert limits["limits"]["SERVICE_CONTROL_POLICY"]["maximum"] == 10
        assert limits["limits"]["TAG_POLICY"]["maximum"] == 1
        control.reset()


SERVE_CASES = {
    "sample-seed-sigint": (signal.SIGINT, [], check_sample),
    "custom-seed-sigterm": (signal.SIGTERM, ["--seed", "{dir}/seed.yaml"], check_custom),
    "bare-org-faults-sigint": (
        signal.SIGINT,
        ["--no-seed", "--fault-rate", "1", "--fault-codes", "ServiceException"],
        check_bare_with_faults,
    ),
    "rate-limited-sigterm": (signal.SIGTERM, ["--rate-limit", "0.01", "--rate-limit-burst", "2"],
                             check_rate_limited),
    "seed-limits-sigint": (signal.SIGINT, ["--seed", "{dir}/limits.yaml"], check_seed_limits),
    "limits-option-sigterm": (signal.SIGTERM, ["--seed", "{dir}/limits.yaml", "--limits",
                                               '{"TAG_POLICY": {"maximum": 1}}'], check_limits_option),
}
# Each seed problem's message is proved in-process (test_emulator_seed.py); here one of them
# shows the CLI's exit path, next to the other kinds of bad input.
BAD_INPUT = {
    "bad-seed-entry": (["--seed", "{dir}/bad.yaml"], ["bad.yaml:2:", "attachments[0]",
                                                      "policy 'Nope' is not defined"]),
    "unknown-fault-code": (["--fault-rate", "0.5", "--fault-codes", "Throttled"],
                           ["--fault options", "unknown fault code 'Throttled'"]),
    "zero-rate-limit": (["--rate-limit", "0"], ["--rate-limit options", "rate must be a number above 0"]),
    "limits-unknown-type": (["--limits", '{"SCP": {"maximum": 5}}'], ["--limits: SCP: unknown policy type"]),
    "limits-not-json": (["--limits", "{SERVICE_CONTROL_POLICY: 5}"], ["--limits: invalid JSON"]),
    "busy-port": (["--port", "{busy}"], ["cannot listen on 127.0.0.1:", "choose another --port"]),
}


@dataclass
class Run:
    proc: subprocess.Popen[str]
    folder: Path


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Run]]:
    """Every CLI run of this module, all started at once: start-up (imports) dominates."""
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    started: dict[str, Run] = {}
    for case_id, args in [*((k, v[1]) for k, v in SERVE_CASES.items()),
                          *((k, v[0]) for k, v in BAD_INPUT.items())]:
        folder = tmp_path_factory.mktemp(case_id)
        (folder / "seed.yaml").write_text(CUSTOM_SEED)
        (folder / "limits.yaml").write_text(LIMITS_SEED)
        (folder / "backup.json").write_text('{"plans": {}}')
        (folder / "bad.yaml").write_text(textwrap.dedent("""\
            attachments:
              - target: Root
                policies: [Nope]
            """))
        args = [a.replace("{dir}", str(folder)).replace("{busy}", str(busy.getsockname()[1]))
                for a in args]
        if case_id in SERVE_CASES:
            args = ["--port", "0", "--ids-out", str(folder / "ids.json"), *args]
        started[case_id] = Run(start_cli(*args), folder)
    yield started
    for run in started.values():
        if run.proc.poll() is None:
            run.proc.kill()
        run.proc.communicate()
    busy.close()


@pytest.mark.parametrize(("stop_signal", "check"), [(v[0], v[2]) for v in SERVE_CASES.values()],
                         ids=SERVE_CASES.keys())
def test_cli_prints_env_serves_and_stops_cleanly(
    request: pytest.FixtureRequest, runs: dict[str, Run], stop_signal: int, check: Any
) -> None:
    run = runs[request.node.callspec.id]
    proc = run.proc
    try:
        banner = read_banner(proc)
        for required in REQUIRED_ENV_LINES:
            assert any(line.startswith(required) for line in banner), (required, banner)
        url = next(line.split("=", 1)[1] for line in banner
                   if line.startswith("export AWS_ENDPOINT_URL_ORGANIZATIONS="))
        printed_ids = json.loads(next(line[5:] for line in banner if line.startswith("IDs: ")))
        ids_file = json.loads((run.folder / "ids.json").read_text())
        assert printed_ids == ids_file == get_json(f"{url}/_emulator/ids")
        check(url, printed_ids)
    finally:
        proc.send_signal(stop_signal)
        stdout, stderr = proc.communicate(timeout=20)
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert stdout.strip().endswith("Stopped.")


@pytest.mark.parametrize("parts", [v[1] for v in BAD_INPUT.values()], ids=BAD_INPUT.keys())
def test_cli_bad_input_exits_2_with_one_line(
    request: pytest.FixtureRequest, runs: dict[str, Run], parts: list[str]
) -> None:
    proc = runs[request.node.callspec.id].proc
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert stderr.count("\n") == 1 and "Traceback" not in stderr, stderr
    assert stderr.startswith("python -m emulator: error: ")
    for part in parts:
        assert part in stderr, stderr


def test_the_endpoint_imports_nothing_from_the_provider_package() -> None:
    """The endpoint models AWS on its own: it must not lean on the code it checks."""
    probe = "import sys, emulator, emulator.__main__; print(sorted(m for m in sys.modules if m.split('.')[0] == 'provider'))"
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
