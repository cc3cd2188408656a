"""What one endpoint serves, apart from HTTP: moto's model built from the seed, and the
endpoint's own counters and settings.

Roles:
- ``EndpointState``: the seed, the call counts, the fault setting, the rate limit, the limits in
  force, the lock that keeps a rule check and moto's answer together (and the limits they
  were checked against), and ``reset()``, which rebuilds all of them.
- ``management_backend``: the moto backend the seed organization is built in.

Nothing here knows about requests: the middleware (``middleware.py``) and the control routes
(``control.py``) read and change this state; the server (``server.py``) creates it.
"""

from __future__ import annotations

import copy
import os
import threading
from collections.abc import Callable
from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID
from moto.moto_api._internal.models import moto_api_backend
from moto.organizations.models import OrganizationsBackend, organizations_backends

from .accounting import CallCounter
from .faults import FaultInjector
from .limits import LimitsConfig
from .ratelimit import RateLimiter
from .seed import SeedSpec, apply_seed

#: The region the seed organization is created in and the SDKs are pointed at.
REGION = "us-east-1"


def management_backend() -> OrganizationsBackend:
    """moto's backend for the account that boto3 with the ``testing`` keys is mapped to."""
    return organizations_backends[os.environ.get("MOTO_ACCOUNT_ID", DEFAULT_ACCOUNT_ID)]["aws"]


class EndpointState:
    """moto's model built from ``seed``, plus the call counts, faults, rate limit and limits of
    one endpoint. Empty until the first ``reset()``.

    ``on_reset`` is called with the new IDs after every reset, outside the lock.
    """

    def __init__(
        self, seed: SeedSpec, on_reset: Callable[[dict[str, Any]], None] | None = None
    ) -> None:
        self.seed = seed
        self.calls = CallCounter()
        self.faults = FaultInjector()
        self.rate_limit = RateLimiter()
        # Held while a rule is checked and moto answers, and while the model is rebuilt.
        self.lock = threading.RLock()
        self._ids: dict[str, Any] = {}
        self._limits = seed.limits
        self._on_reset = on_reset

    @property
    def limits(self) -> LimitsConfig:
        """The limits the AWS rules enforce now: the seed's, or what ``set_limits`` gave.

        Read it under ``lock`` to check a request against the limits that stay in force
        until moto has answered."""
        return self._limits

    def set_limits(self, limits: LimitsConfig | None) -> None:
        """Enforce ``limits`` from the next request on; None: the seed's again."""
        with self.lock:
            self._limits = self.seed.limits if limits is None else limits

    def limits_state(self) -> dict[str, Any]:
        """The limits in force as JSON: ``{"limits": {type: {...}}, "overridden": [...]}``."""
        return self._limits.table_json()

    @property
    def ids(self) -> dict[str, Any]:
        """The IDs the last reset created (a copy): see ``seed.apply_seed``."""
        with self.lock:
            return copy.deepcopy(self._ids)

    def reset(self) -> dict[str, Any]:
        """Wipe moto's state, rebuild the seed organization, clear counts, faults, rate limit,
        and enforce the seed's limits again.

        Returns the new IDs. Like moto's ``/moto-api/reset``, this resets every moto service
        in the process, not only Organizations.
        """
        with self.lock:
            moto_api_backend.reset()
            # Not a backend, so moto's reset leaves it: member account -> management account.
            organizations_backends.master_accounts.clear()
            self._ids = apply_seed(self.seed, management_backend(), REGION)
            self.calls.reset()
            self.faults.clear()
            self.rate_limit.clear()
            self._limits = self.seed.limits
            ids = self.ids
        if self._on_reset is not None:
            self._on_reset(ids)
        return ids
