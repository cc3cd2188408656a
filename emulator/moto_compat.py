"""Let moto's Organizations model hold every policy type AWS has, not only its own five.

moto 5.2.5 accepts five policy types and crashes (NotImplementedError, HTTP 500) creating a
BACKUP_POLICY, because it has no ARN format for it. AWS accepts every type in its model, and the
project manages "all other policy types" too, so the emulator widens moto's lists to botocore's
enum and gives the extra types AWS's ARN form (``.../policy/<org>/<type lower>/<id>``).
This changes which types moto stores, never how it stores them: no model of our own. It also
makes CreateOrganization enable SCPs in the root, as AWS does (`enable_scps_on_create`).
"""

from __future__ import annotations

from typing import Any

from moto.organizations import models

from .service_model import aws_policy_types

# The types moto's FakePolicy builds an ARN for itself.
_MOTO_ARN_TYPES = frozenset(
    {"AISERVICES_OPT_OUT_POLICY", "RESOURCE_CONTROL_POLICY", "SERVICE_CONTROL_POLICY", "TAG_POLICY"}
)
_ARN_FORMAT = "arn:{{0}}:organizations::{{1}}:policy/{{2}}/{type}/{{3}}"


def widen_policy_types() -> None:
    """Make moto accept every AWS policy type. Idempotent; affects moto process-wide."""
    types = sorted(set(models.FakePolicy.SUPPORTED_POLICY_TYPES) | set(aws_policy_types()))
    models.FakePolicy.SUPPORTED_POLICY_TYPES = types
    models.FakeRoot.SUPPORTED_POLICY_TYPES = types
    if getattr(models.FakePolicy.__init__, "_emulator_widened", False):
        return
    moto_init = models.FakePolicy.__init__

    def __init__(self: Any, organization: Any, **kwargs: Any) -> None:
        policy_type = kwargs.get("Type", "")
        if policy_type in _MOTO_ARN_TYPES or policy_type not in types:
            moto_init(self, organization, **kwargs)
            return
        # Build as an SCP (moto's code path for a known type), then set the real type.
        moto_init(self, organization, **{**kwargs, "Type": "SERVICE_CONTROL_POLICY"})
        self.type = policy_type
        self._arn_format = _ARN_FORMAT.format(type=policy_type.lower())

    __init__._emulator_widened = True  # type: ignore[attr-defined]
    models.FakePolicy.__init__ = __init__  # type: ignore[method-assign]


def enable_scps_on_create() -> None:
    """Make CreateOrganization enable SCPs in the root, as AWS does. Idempotent.

    AWS (CreateOrganization, botocore's model): "By default (or if you set the FeatureSet
    parameter to ALL), the new organization is created with all features enabled and service
    control policies automatically enabled in the root." moto 5.2.5 enables no type, so every
    client that builds its own organization (after ``/moto-api/reset``) got
    PolicyTypeNotEnabledException on its first SCP attach. moto already attaches FullAWSAccess
    to the root, the management account and every new OU and account; other types stay off.
    """
    backend_cls = models.OrganizationsBackend
    if getattr(backend_cls.create_organization, "_emulator_scps", False):
        return
    moto_create = backend_cls.create_organization

    def create_organization(self: Any, region: str, **kwargs: Any) -> dict[str, Any]:
        moto_create(self, region, **kwargs)
        if self.org.feature_set == "ALL":
            root = next(ou for ou in self.ou if isinstance(ou, models.FakeRoot))
            root.add_policy_type("SERVICE_CONTROL_POLICY")
        return self.org.describe()

    create_organization._emulator_scps = True  # type: ignore[attr-defined]
    backend_cls.create_organization = create_organization  # type: ignore[method-assign]


def match_aws() -> None:
    """Every moto adjustment of this module. Idempotent; affects moto process-wide."""
    widen_policy_types()
    enable_scps_on_create()
