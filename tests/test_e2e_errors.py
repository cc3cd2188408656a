"""Every kind of error a user can meet is printed once, without a traceback, under the real
CLI and its Python language host (``pulumi preview --json``'s error diagnostics, which the
CLI's "N errors" counts).

Without :func:`program.main`, the SDK's launcher and the host would print a program error
twice (the message, then "an unhandled error occurred: program exited with non-zero exit
code: 1"), and a refused check once more as "Resource monitor has terminated". The engine
adds "preview failed" of its own to a failed step (a hook); that line names nothing and
is the engine's, not the program's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from harness.cli import Project
from tests.test_e2e import STACK, changes, reconfigure, stack, write_settings
from tests.test_e2e_exclusive import code_stack

#: The engine's own verdict on a preview whose step failed.
ENGINE_VERDICT = "preview failed"
#: What a second report of the same failure looks like.
DUPLICATES = ("an unhandled error occurred", "Resource monitor has terminated", "Traceback")


def bad_retry_setting(project: Project, org: dict[str, Any], orgs: Any) -> None:
    """A ConfigError raised as the program starts."""
    write_settings(project, {"org-policies:attachments": {"sandbox-1": ["DenyRootUser"]},
                             "policyAttachment:baseDelay": "-1"})
    project.select(STACK)


def misspelt_namespace(project: Project, org: dict[str, Any], orgs: Any) -> None:
    write_settings(project, {"org-policy:attachments": {"sandbox-1": ["DenyRootUser"]}})
    project.select(STACK)


def unresolved_name(project: Project, org: dict[str, Any], orgs: Any) -> None:
    """UnresolvedName's check refuses, then the engine stops the program."""
    stack(project, {"Root/Nope": ["DenyRootUser"]})


def removal_limit(project: Project, org: dict[str, Any], orgs: Any) -> None:
    """The program refuses the update, once the stack's record says it removes too many."""
    stack(project, {name: ["DenyRootUser", "RestrictRegions"] for name in ("security-tooling", "prod-app", "dev-app", "sandbox-1")}).up()
    reconfigure(project, {"sandbox-1": ["DenyRootUser"]})


def provider_check(project: Project, org: dict[str, Any], orgs: Any) -> None:
    """PolicyAttachment's check refuses (already attached)."""
    stack(project, {"Root": ["DenyLeaveOrganization"]})


def guard_hook(project: Project, org: dict[str, Any], orgs: Any) -> None:
    """The guard's delete hook refuses (the last SCP)."""
    stack(project, {"sandbox-1": ["DenyRootUser"], "Root/Workloads": ["RestrictRegions"]}).up()
    orgs.detach_policy(PolicyId="p-FullAWSAccess", TargetId=org["accounts"]["sandbox-1"])
    reconfigure(project, {"Root/Workloads": ["RestrictRegions"]})


CASES: list[tuple[str, Callable[[Project, dict[str, Any], Any], None], tuple[str, ...], bool]] = [
    # (case, arrange, words of the one message, the engine adds its verdict)
    ("bad retry setting", bad_retry_setting,
     ("policyAttachment:baseDelay: must be a number of seconds greater than 0",), False),
    ("misspelt namespace", misspelt_namespace, ("org-policy:attachments", "org-policies:attachments"), False),
    ("unresolved name", unresolved_name, ("UnresolvedName", "'Root/Nope' matches nothing"), False),
    ("removal limit", removal_limit, ("Refusing this update", "removes 7 attachments"), False),
    ("provider check", provider_check, ("has a problem", "is already attached", "import: true"), False),
    ("guard hook", guard_hook, ("before hook", "it is the last service control policy"), True),
]


@pytest.mark.parametrize("arrange, words, with_verdict", [row[1:] for row in CASES], ids=[row[0] for row in CASES])
def test_an_error_is_printed_once_without_a_traceback(project, endpoint, org, orgs_client, arrange, words,
                                                      with_verdict):
    arrange(project, org, orgs_client)
    endpoint.control.reset_calls()
    result = project.pulumi("preview", "--json")
    assert result.code != 0, result.changes()
    errors = result.errors()
    assert len([e for e in errors if all(w in e for w in words)]) == 1, errors
    assert errors == [e for e in errors if all(w in e for w in words)] + ([ENGINE_VERDICT] if with_verdict else [])
    for duplicate in DUPLICATES:
        assert duplicate not in result.stdout + result.stderr, result.stdout + result.stderr
    assert changes(endpoint) == {}


IN_AN_APPLY = '''"""An exclusive set, then, in an apply once it is registered (as program.stack.run
declares the stack's resources), a PolicyAttachment on its target: the guard refuses
it with a ConflictingDeclarationsError, a RunError, raised inside that apply."""

import pulumi

import provider
from program import main


def declare() -> None:
    config = pulumi.Config()
    provider.register_guard()
    target = config.require("target")
    owned = provider.ExclusivePolicies("owned", target_id=target, policy_ids=[config.require("owned")])
    owned.urn.apply(lambda _: provider.PolicyAttachment("extra", policy_id=config.require("extra"), target_id=target))


main(declare)
'''


def test_an_error_raised_in_an_apply_is_printed_once(tmp_path, pulumi_cli, endpoint, org, make_scps):
    account, deny = org["accounts"]["sandbox-1"], org["policies"]["DenyRootUser"]
    [allow_list] = make_scps(1, allow=True)
    code = code_stack(tmp_path, {"target": account, "owned": allow_list, "extra": deny}, IN_AN_APPLY)
    result = code.pulumi("preview", "--json")
    assert result.code != 0, result.changes()
    [error] = result.errors()
    assert f"DenyRootUser ({deny}) is declared as a PolicyAttachment on account sandbox-1 ({account})" in error, error
    assert "exclusive set owned" in error
    for duplicate in DUPLICATES:
        assert duplicate not in result.stdout + result.stderr
