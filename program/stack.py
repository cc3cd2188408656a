"""The program: stack config in, resources out.

:func:`run` is the whole Pulumi program (``__main__.py`` calls it, and so can an
Automation API inline program). Its steps, each a module of this package:

1. register the plan-time guard hooks (:mod:`provider.guard`), on every run;
2. read and check the config (:mod:`program.config`) and the policy files
   (:mod:`program.documents`);
3. resolve names to IDs against the organization (:mod:`program.directory`,
   :mod:`program.plan`);
4. register the resources: first one :class:`~program.unresolved.UnresolvedName`
   per name that no longer resolves and the
   :class:`~program.removals.RemovalLimit`, whose checks stop a preview or
   update (never a destroy) before any change; then the policies and
   attachments (:mod:`program.declare`).

Steps 2 and 3 raise :class:`~program.errors.ProgramError` subclasses (Pulumi
``RunError``s, printed without a traceback) before step 4 registers anything;
a name that matches nothing or several things is the exception (step 4), so
that ``pulumi destroy --run-program`` never depends on one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn, Optional

import pulumi
from pulumi.runtime import config as runtime_config

import provider
from provider import OrganizationsApi, RootSummary, stack_config, stack_settings

from . import review
from .changes import EXCLUSIVE, Declared
from .config import (
    ALLOW_EMPTY,
    ATTACHMENTS,
    LIMITS,
    MAX_REMOVALS,
    NAMESPACE,
    POLICIES,
    POLICIES_KEY,
    PolicySpec,
    ProgramConfig,
    check_keys,
    check_retry_settings,
    declared_at,
    parse_config,
)
from .declare import declare, export
from .directory import Directory
from .documents import load_documents
from .errors import ConfigError
from .plan import Unresolved, plan_targets
from .removals import RemovalLimit, RemovalLimitError, previous_record, removed
from .unresolved import UnresolvedName

#: Where Pulumi.yaml is: policy files are relative to it.
PROJECT_DIR = Path(__file__).resolve().parent.parent


def run(*, api: Optional[OrganizationsApi] = None, project_dir: Optional[Path] = None) -> None:
    """Declare the stack's policies and policy attachments from its config.

    ``api`` resolves names (default: one built from ``aws:region`` /
    ``aws:profile``, else the standard AWS chain, with the default retries);
    ``project_dir`` is where policy files are read from (default: this
    repository). Must run inside a Pulumi program run (CLI, Automation API or
    mocks).
    """
    review.begin()  # a preview that stops before its summary leaves "not made" for CI to post
    provider.register_guard()  # on every run, even one that declares no attachment
    check_retry_settings(stack_config)
    config = read_config()
    documents = load_documents(config.policies, project_dir or PROJECT_DIR, config.limits)
    # Name lookups keep the default retries (README "Retries"): policyAttachment:* is
    # the provider's and the guard's.
    directory = Directory(api or OrganizationsApi(stack_settings().aws))
    check_policy_types(config.policies, directory.root)
    unresolved: list[Unresolved] = []
    plan, exclusive = plan_targets(config, directory, unresolved=unresolved)
    provider.label_resources({a.resource_name: declared_at(a.target_label, a.policy_label) for a in plan})
    # Checked by the engine before anything else is registered: preview and up stop at
    # their check, before any change (see program.unresolved).
    checked_first = [UnresolvedName(e.label, e.message) for e in unresolved]
    declared = review.entries(plan, exclusive)
    record = RemovalLimit(declared, None if config.allow_empty and not config.attachments else config.max_removals)
    policies = review.stack_policies(config.policies, documents, plan)

    def after_the_record(values: list[Any]) -> Any:
        """Once the record has answered (and every name check passed): refuse too many
        removals, or declare the resources; in a preview, summarise the change."""
        previous_value, refused_value = values[0], values[1]
        # A record from before the stack kept one (or a destroy) reads as "no change".
        previous = previous_record(previous_value) if previous_value is not None else {e.name: e for e in declared}
        refused = review.refusal_of(refused_value)
        leaving = removed(previous, {e.name: e for e in declared})
        # The guard's refusal of a removal names the entry the previous update declared.
        provider.label_resources({e.name: _removed_entry(e) for e in leaving})
        if refused is not None:
            gone = [e.label for e in leaving]
            return review.start(previous, declared, None, policies, refused).apply(
                lambda _: _refuse(gone, refused.limit))
        registered = declare(config.policies, documents, plan, exclusive)
        review.start(previous, declared, registered, policies)
        return registered.policy_ids

    # The SDK sends registrations concurrently, in no set order; a resource's outputs resolve
    # once the engine has answered its registration, i.e. after its check passed.
    policy_ids = pulumi.Output.all(record.previous, record.refused,
                                   *(resource.urn for resource in checked_first)).apply(after_the_record)
    export(plan, exclusive, policy_ids, bool(config.policies))


def _removed_entry(entry: Declared) -> str:
    """Where a removed entry was declared, for the refusals that name it."""
    if entry.kind == EXCLUSIVE:
        return f"{declared_at(entry.target_label)} (exclusive; removed by this change)"
    return f"{declared_at(entry.target_label, entry.policy_label)} (removed by this change)"


def _refuse(gone: list[str], limit: int) -> NoReturn:
    raise RemovalLimitError(gone=gone, limit=limit)


def check_policy_types(specs: Sequence[PolicySpec], root: Callable[[], RootSummary]) -> None:
    """Refuse a policy this stack creates whose type is not enabled on the root
    (AWS would refuse it at apply time). ``root`` is asked only when there are specs."""
    for spec in specs:
        summary = root()
        if spec.type not in summary.enabled_types:
            raise ConfigError(
                where=f'{POLICIES_KEY}, policy "{spec.name}"',
                problem=f"policies of type {spec.type} are not enabled in this organization",
                fix=f"Enable the type first: aws organizations enable-policy-type --root-id "
                    f"{summary.id} --policy-type {spec.type}")


def read_config() -> ProgramConfig:
    """The ``org-policies:*`` stack config, checked (ConfigError otherwise)."""
    check_keys(_config_keys())
    config = pulumi.Config(NAMESPACE)
    return parse_config(_structured(config, POLICIES), _structured(config, ATTACHMENTS),
                        allow_empty=_structured(config, ALLOW_EMPTY),
                        max_removals=_structured(config, MAX_REMOVALS), limits=_structured(config, LIMITS))


def _structured(config: pulumi.Config, key: str) -> Any:
    """A structured config value; a plain string that is not JSON comes back
    as the string, for parse_config to report in its terms."""
    try:
        return config.get_object(key)
    except pulumi.ConfigTypeError:
        return config.get(key)


def _config_keys() -> set[str]:
    """Every config key this run can see (as set by the engine, or in PULUMI_CONFIG)."""
    return set(runtime_config.CONFIG.get()) | set(runtime_config.get_config_env())
