"""A killed update recovers: SIGKILL the real CLI (``pulumi up`` in the project folder) in the
middle of an update of 100 attachments, after some attaches went out; then the README's
recovery (``python -m program.recover``, the one extra command) and ``pulumi up`` reach the
declared state. Nothing lost, nothing attached twice, nothing else changed, no AWS call by hand.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from typing import Any

import pytest

from bench.org import all_targets
from bench.soak import enabled_types, plan, snapshot
from harness.cli import Project

COUNT = 100
KILL_AFTER = 30  # AttachPolicy calls that reached the model
RETRY = {"policyAttachment:baseDelay": "0.2", "policyAttachment:maxDelay": "2",
         "policyAttachment:maxAttempts": "12"}


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (from /proc), children first."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parents[int(entry)] = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    found, frontier = [], [pid]
    while frontier:
        children = [p for p, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def executable(pid: int) -> str:
    try:
        return os.path.basename(os.readlink(f"/proc/{pid}/exe"))
    except OSError:
        return ""


def applied(endpoint: Any, operation: str) -> int:
    """Calls of ``operation`` that reached the model (not throttled)."""
    return endpoint.control.calls().get(operation, 0) - endpoint.control.throttled().get(operation, 0)


def kill_cli_mid_update(endpoint: Any, project: Project) -> None:
    """Run ``pulumi up`` in the project folder; SIGKILL the CLI after KILL_AFTER attaches,
    as a cancelled CI job or a lost machine would stop it."""
    cli = subprocess.Popen(["pulumi", "up", "--yes"], cwd=project.folder, env=project.env,
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    tree: list[int] = []
    try:
        deadline = time.monotonic() + 240
        while applied(endpoint, "AttachPolicy") < KILL_AFTER:
            assert cli.poll() is None, "the update ended before the kill point"
            assert time.monotonic() < deadline, "no attach reached the endpoint"
            time.sleep(0.02)
        tree = descendants(cli.pid)  # its language host, the program, the provider
        assert executable(cli.pid) == "pulumi", executable(cli.pid)
        os.kill(cli.pid, signal.SIGKILL)
        cli.wait(timeout=60)
        time.sleep(1)  # let a provider call already in flight land, as it would
    finally:
        for pid in tree:
            try:
                os.kill(pid, signal.SIGKILL)  # our own processes only: what the CLI started
            except ProcessLookupError:
                pass
        if cli.poll() is None:
            cli.kill()
        cli.wait(timeout=60)


@pytest.mark.timeout(600)
def test_a_killed_up_recovers_with_one_command_then_up(project, endpoint, org, orgs_client):
    root = org["root"]
    extra = [orgs_client.create_organizational_unit(ParentId=root, Name=f"Kill{n}")["OrganizationalUnit"]["Id"]
             for n in range(8)]
    targets = all_targets(org) + extra
    types = enabled_types(orgs_client)
    pairs = plan(orgs_client, targets, COUNT, prefix="kill")
    attachments: dict[str, list[str]] = {}
    for target, policy in pairs:
        attachments.setdefault(target, []).append(policy)
    project.select("kill", {"aws:region": "us-east-1", **RETRY, "org-policies:attachments": attachments})
    before = snapshot(orgs_client, targets, types)

    endpoint.control.reset_calls()
    endpoint.control.set_rate_limit(10)  # an update that takes long enough to be killed
    try:
        kill_cli_mid_update(endpoint, project)
    finally:
        endpoint.control.clear_rate_limit()
    made = snapshot(orgs_client, targets, types) - before
    assert KILL_AFTER <= len(made) < COUNT, len(made)

    exported = project.pulumi("stack", "export")
    if exported.code == 0:
        left = json.loads(exported.stdout)["deployment"]
        in_state = {tuple(r["id"].split(":")) for r in left.get("resources") or []
                    if r["type"] == "pulumi-python:dynamic/organizations:PolicyAttachment" and r.get("id")}
        pending = [op for op in left.get("pending_operations") or []
                   if op["resource"]["type"] == "pulumi-python:dynamic/organizations:PolicyAttachment"]
    else:  # a torn checkpoint write: every command fails until it is repaired
        in_state, pending = None, []
    if in_state is None or made - in_state:
        # An attach that landed after the CLI's last checkpoint (or a torn write):
        # as left, the stack refuses the next command.
        refused = project.refused("preview")
        assert in_state is None or "already attached" in refused
    else:  # every attach that went out is in state: nothing stops the next command
        project.preview()

    # The README's one extra command, as a user runs it in the project folder (same
    # backend, same AWS credentials).
    command = subprocess.run([".venv/bin/python", "-m", "program.recover", "--stack", "kill"], cwd=project.folder,
                             env=project.env, capture_output=True, text=True, timeout=300)
    assert command.returncode == 0, command.stderr
    report = command.stdout
    assert "released the stack's lock" in report and "Now run `pulumi up`" in report
    state = project.export()
    recorded = [r for r in state["resources"] if r["type"] == "pulumi-python:dynamic/organizations:PolicyAttachment"]
    assert not state.get("pending_operations")
    assert {tuple(r["id"].split(":")) for r in recorded} == made  # every attach made is in state
    if in_state is not None:  # the report accounts for every pending create the kill left, whichever way it went
        assert f"{len(made - in_state)} attachment(s) the killed update made" in report, report
        assert f"{len(pending) - len(made - in_state)} pending operation(s) that did not reach AWS" in report, report

    assert project.up() == {"create": COUNT - len(made), "same": len(made) + 2}  # + the stack and removal-limit
    after = snapshot(orgs_client, targets, types)
    assert after == before | set(pairs)  # nothing lost, nothing else changed
    assert applied(endpoint, "AttachPolicy") == COUNT  # each pair attached once: no duplicate attach
    assert project.preview() == {"same": COUNT + 2}
