"""The README's GitHub Actions recipe ("Previews in CI"), run command for command against the
local endpoint: its job environment and its ``run:`` steps, in a copy of the project.

What GitHub runs for the other steps is stood in for, and nothing else: the checkout is the
copy, ``pulumi/actions`` (no command: it only installs the CLI and its language hosts) is
the CLI on PATH, ``configure-aws-credentials`` is the endpoint's credentials, the
virtualenv step is the project's ``.venv`` (the same requirements.txt). The placeholders of
the job's environment (the state bucket, the passphrase secret) become a local backend and
the sample passphrase. The stack ``prod`` is set up as the README's "Using it on a real
organization" says (``pulumi stack init prod``, ``Pulumi.prod.yaml``) and updated once, as
after a merge; then a pull request's change goes through the recipe.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from harness.cli import PASSPHRASE, ROOT, Project
from tests.test_e2e import DELETE_HOOK, scps

#: The recipe's steps that only GitHub runs, and what stands in for each here.
STOOD_IN = {
    "actions/checkout": "the copy of the project",
    "actions/setup-python": "this Python",
    "pulumi/actions": "the CLI on PATH",
    "aws-actions/configure-aws-credentials": "the endpoint's credentials",
}
VENV_STEP = "python -m venv .venv && .venv/bin/pip install -r requirements.txt"


def recipe() -> dict[str, Any]:
    """The ``preview`` job of the README's first YAML block under "Previews in CI"."""
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Previews in CI"):]
    block = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert block, "no yaml block under 'Previews in CI'"
    return dict(yaml.safe_load(block.group(1))["jobs"]["preview"])


def job_env(job: dict[str, Any], state_dir: Path) -> dict[str, str]:
    """The job's environment, its placeholders made local; any other placeholder fails."""
    local = {"PULUMI_BACKEND_URL": state_dir.resolve().as_uri(), "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE}
    env = {}
    for name, value in (job.get("env") or {}).items():
        placeholder = "<" in str(value) or "${{" in str(value)
        assert not placeholder or name in local, f"the recipe's {name}: {value!r} has no local stand-in here"
        env[name] = local[name] if placeholder else str(value)
    return env


@dataclass(frozen=True)
class Command:
    """A ``pulumi`` run step of the recipe, with the environment it sets."""

    argv: list[str]
    env: dict[str, str]


def run_steps(job: dict[str, Any]) -> tuple[list[Command], list[dict[str, Any]]]:
    """The recipe's ``pulumi`` commands, in order, and its comment steps (``gh pr
    comment``, which only GitHub can run: the test checks what they would post);
    every other step must be one stood in for."""
    commands, comments = [], []
    for step in job["steps"]:
        if "uses" in step:
            action = step["uses"].split("@")[0]
            assert action in STOOD_IN, f"a step this test does not stand in for: {step}"
            if action == "pulumi/actions":
                assert "command" not in (step.get("with") or {}), "pulumi/actions would run the command itself"
        elif step["run"].strip() != VENV_STEP:
            argv = shlex.split(step["run"])
            if argv[:3] == ["gh", "pr", "comment"]:
                comments.append(step)
                continue
            assert argv[0] == "pulumi", f"a run step this test does not know: {step['run']}"
            commands.append(Command(argv[1:], {k: str(v) for k, v in (step.get("env") or {}).items()}))
    return commands, comments


def posted_file(comment: dict[str, Any]) -> str:
    """The file a ``gh pr comment --body-file FILE`` step posts."""
    argv = shlex.split(comment["run"])
    return argv[argv.index("--body-file") + 1]


def test_the_readme_ci_recipe_passes_a_safe_change_and_fails_an_unsafe_one(tmp_path, pulumi_cli, endpoint, org,
                                                                         orgs_client):
    job = recipe()
    commands, comments = run_steps(job)
    assert [c.argv for c in commands] == [["preview", "--stack", "prod"]]
    [comment] = comments  # posts the change summary the preview wrote
    assert commands[0].env == {"ORG_POLICIES_SUMMARY": posted_file(comment)}
    project = Project.copy(tmp_path, env=job_env(job, tmp_path / "state"))
    posted = project.folder / posted_file(comment)
    sandbox = org["accounts"]["sandbox-1"]

    # Once, by hand, as the README says: the stack, its config, and an update after merge.
    project.pulumi("stack", "init", "prod").check()
    declared = {"aws:region": "us-east-1",
                "org-policies:attachments": {"sandbox-1": ["DenyRootUser"], "Root/Workloads": ["RestrictRegions"]}}
    project.write_config("prod", declared)
    project.up("--stack", "prod")
    orgs_client.detach_policy(PolicyId="p-FullAWSAccess", TargetId=sandbox)  # DenyRootUser: its only SCP

    # A pull request adding an attachment: the job passes.
    project.write_config("prod", {**declared, "org-policies:attachments": {
        "sandbox-1": ["DenyRootUser"], "Root/Workloads": ["RestrictRegions", "RequireCostCenterTag"]}})
    for command in commands:
        result = project.pulumi(*command.argv, env=command.env)
        assert result.code == 0, result.text
        assert "+ 1 to create" in result.stdout
    summary = posted.read_text()  # what the comment step posts
    assert summary.startswith("### org-policies change summary: 1 target changes.")
    assert "+ attach RequireCostCenterTag (" in summary

    # A pull request removing sandbox-1's last SCP: the job fails, naming the way out.
    project.write_config("prod", {**declared, "org-policies:attachments": {"Root/Workloads": ["RestrictRegions"]}})
    for command in commands:
        result = project.pulumi(*command.argv, env=command.env)
        assert result.code != 0
        message = result.text
        assert f'before hook "{DELETE_HOOK}" failed' in message and sandbox in message
        assert "last service control policy" in message and "skip_destroy" in message
    assert "-- REFUSED: Refusing to detach DenyRootUser" in posted.read_text()  # posted after a failure too
    assert scps(orgs_client, sandbox) == {"DenyRootUser"}
