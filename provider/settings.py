"""The AWS layer's settings, read from stack config in one place.

The program, the plan-time guard (both in the program's process, reading the
running stack's config through :func:`stack_config`) and the provider (reading
the config the engine hands to ``configure``) build their
:class:`~provider.aws.OrganizationsApi` from the same keys:

* ``aws:region``, ``aws:profile``: :class:`~provider.aws.AwsSettings`;
* ``policyAttachment:maxAttempts``, ``baseDelay``, ``maxDelay``:
  :class:`~provider.retry.RetryPolicy` (:func:`provider.retry.retry_from_config`);
* ``org-policies:limits``: :class:`~provider.limits.Limits`, AWS's numbers as
  this stack assumes them (:func:`provider.limits.limits_from_config`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi

from .aws import AwsSettings, OrganizationsApi, policy_types
from .limits import CONFIG_KEY as LIMITS_KEY
from .limits import DEFAULT, Limits, limits_from_config
from .retry import RetryPolicy, retry_from_config


def stack_config(key: str) -> Any:
    """A namespaced value (``aws:region``) of the running program's stack
    config, as the provider's ``configure`` sees it; None when not set."""
    namespace, name = key.split(":", 1)
    return pulumi.Config(namespace).get(name)


@dataclass(frozen=True)
class StackSettings:
    """Where AWS is, how its calls are retried and which limits decisions use,
    as the stack config says."""

    aws: AwsSettings
    retry: RetryPolicy
    limits: Limits = DEFAULT

    def api(self) -> OrganizationsApi:
        """A new AWS layer with these settings (its client is created on first use)."""
        return OrganizationsApi(self.aws, self.retry)


def stack_settings(get: Callable[[str], Any] = stack_config) -> StackSettings:
    """The settings from ``get``, a config getter taking namespaced keys
    (default: the running program's stack config). Keys not set get the
    defaults; a bad retry or limits value raises ValueError naming the key (the
    program refuses it first, once, at start, in its own terms)."""
    raw_limits = get(LIMITS_KEY)
    # botocore's model (for the type names) is loaded only when there is an override to check
    limits = limits_from_config(raw_limits, policy_types()) if raw_limits else DEFAULT
    return StackSettings(aws=AwsSettings.from_config(get), retry=retry_from_config(get), limits=limits)
