"""What the AWS Organizations API itself defines, read from botocore's service model.

The emulator takes the list of policy types and operation names from the model botocore ships
(``botocore/data/organizations/2016-11-28/service-2.json``; the pinned botocore 1.44.5 has 15
types), so a policy type AWS adds later is accepted as soon as botocore knows it, with no list
to edit here. AWS adds types every few months, and botocore's releases follow.
"""

from __future__ import annotations

from functools import cache

import botocore.session
from botocore.model import ServiceModel

#: The JSON protocol's ``X-Amz-Target`` prefix: ``AWSOrganizationsV20161128.<Operation>``.
TARGET_PREFIX = "AWSOrganizationsV20161128."


@cache
def _model() -> ServiceModel:
    return botocore.session.get_session().get_service_model("organizations")


def aws_policy_types() -> tuple[str, ...]:
    """Every ``PolicyType`` value in botocore's model, in the model's order."""
    return tuple(_model().shape_for("PolicyType").enum)


def aws_operation_names() -> frozenset[str]:
    """Every Organizations operation name (``AttachPolicy``, ...), as sent in ``X-Amz-Target``."""
    return frozenset(_model().operation_names)
