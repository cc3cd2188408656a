"""The org-policies Pulumi program: policies and policy attachments declared
in stack config (``org-policies:policies``, ``org-policies:attachments``).

See :mod:`program.config` for the config schema and :func:`run` for the
program itself; :func:`main` runs it under the Pulumi CLI (``__main__.py``).
"""

from .entry import main
from .errors import (
    AmbiguousNameError,
    ConfigError,
    NameNotFoundError,
    OrganizationLookupError,
    PolicyTypeNotEnabledError,
    ProgramError,
)
from .stack import run

__all__ = [
    "AmbiguousNameError",
    "ConfigError",
    "NameNotFoundError",
    "OrganizationLookupError",
    "PolicyTypeNotEnabledError",
    "ProgramError",
    "main",
    "run",
]
