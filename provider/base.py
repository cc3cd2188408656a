"""What every dynamic provider of this package shares.

The provider object travels in every resource's state as a pickle, so it
holds nothing when pickled: no client, no credential, no configuration. It
pickles to its class reference and builds its :class:`Runtime` after
unpickling, in ``configure()`` (with the stack's settings) or on first use.
"""

from __future__ import annotations

import functools
import threading
from collections import defaultdict
from collections.abc import Callable
from typing import Any, Optional, TypeVar

from pulumi.dynamic import ConfigureRequest, ResourceProvider

from . import errors
from .lookups import Lookups
from .settings import StackSettings, stack_settings

T = TypeVar("T")

_RUNTIME_LOCK = threading.Lock()


class Runtime:
    """What a configured provider uses in one provider process; never pickled.

    ``approved``: the new attachments this process's ``check`` has passed, per
    (target, type). The engine runs one provider process per operation and
    checks every new attachment of it, in order, before creating it, so these
    are exactly the attaches that reach the target before the next one.
    ``pending_plans``: whether the exclusive sets ``check`` planned have calls
    to make, for their ``diff`` (one listing per set per preview).
    """

    def __init__(self, settings: StackSettings) -> None:
        self.api = settings.api()
        self.limits = settings.limits
        self.lookups = Lookups(self.api)
        self.approved: dict[tuple[str, str], set[str]] = defaultdict(set)
        self.pending_plans: dict[tuple[str, str, tuple[str, ...]], bool] = {}
        self.lock = threading.Lock()


def reported(method: Callable[..., T]) -> Callable[..., T]:
    """Present this package's errors to the engine as their message alone.

    The SDK's provider host reports an exception as ``traceback.format_exc()``;
    with the AWS error chained below ours (``raise ... from err``, which the
    library layers keep for callers) a refusal becomes forty lines of botocore
    frames. At this boundary the message already says everything the chained
    error did, so it is raised again without chain or inner frames.
    """

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            return method(*args, **kwargs)
        except errors.PolicyAttachmentError as err:
            raise err.with_traceback(None) from None

    return wrapper


class OrganizationsProvider(ResourceProvider):
    """The base of this package's providers: pickled to nothing but its class
    reference, its runtime built after unpickling."""

    serialize_as_secret_always = False

    def __init__(self) -> None:
        super().__init__()
        self._runtime: Optional[Runtime] = None

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._runtime = None

    def configure(self, req: ConfigureRequest) -> None:
        """Stack config: ``aws:region``, ``aws:profile``, the retry limits
        ``policyAttachment:maxAttempts`` / ``baseDelay`` / ``maxDelay`` (seconds)
        and ``org-policies:limits`` (:mod:`provider.settings`)."""
        self._runtime = Runtime(stack_settings(req.config.get))

    @property
    def _rt(self) -> Runtime:
        if self._runtime is None:
            with _RUNTIME_LOCK:
                if self._runtime is None:
                    self._runtime = Runtime(stack_settings(lambda _key: None))
        return self._runtime
