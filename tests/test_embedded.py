"""The program embedded in a Python application: an Automation API inline program that
calls :func:`program.run` (the README's "Embedding the program"), the one way to run it
besides ``pulumi`` in the project folder. Its errors are the application's to report:
``program.run`` raises them."""

from __future__ import annotations

import json
import sys

from pulumi import automation as auto

import program
from harness.cli import ROOT, engine_env
from tests.test_e2e import scps


def test_an_inline_program_runs_program_run(tmp_path, pulumi_cli, endpoint, org, orgs_client):
    env = {
        **engine_env(tmp_path / "state"),
        "PULUMI_HOME": str(tmp_path / "pulumi-home"),
        # The dynamic provider's launcher runs `python -m pulumi.dynamic`: this interpreter
        # (it has pulumi and boto3), with the project importable.
        "PULUMI_PYTHON_CMD": sys.executable,
        "PYTHONPATH": str(ROOT),
    }
    stack = auto.create_or_select_stack(
        stack_name="embedded", project_name="org-policies", program=program.run,
        opts=auto.LocalWorkspaceOptions(work_dir=str(tmp_path), env_vars=env,
                                        project_settings=auto.ProjectSettings(name="org-policies", runtime="python")))
    stack.set_all_config({
        "aws:region": auto.ConfigValue("us-east-1"),
        "org-policies:attachments": auto.ConfigValue(json.dumps({"sandbox-1": ["DenyRootUser"]})),
    })

    result = stack.up()
    assert result.summary.resource_changes == {"create": 3}  # the attachment, the removal limit, the stack
    assert result.outputs["attachments"].value == {"sandbox-1": ["DenyRootUser"]}
    assert scps(orgs_client, org["accounts"]["sandbox-1"]) == {"FullAWSAccess", "DenyRootUser"}
    assert stack.preview().change_summary == {"same": 3}  # a second run in this process: the guard registered again
    stack.destroy(run_program=True)
    assert scps(orgs_client, org["accounts"]["sandbox-1"]) == {"FullAWSAccess"}
