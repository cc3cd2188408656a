"""A local AWS Organizations endpoint: moto's server plus the AWS rules moto lacks.

Start it with ``python -m emulator`` or, in-process, ``start_endpoint()``.
"""

from .control import ControlError, EndpointControl
from .seed import SAMPLE_SEED, SeedError
from .server import Endpoint, start_endpoint

__all__ = [
    "SAMPLE_SEED",
    "ControlError",
    "Endpoint",
    "EndpointControl",
    "SeedError",
    "start_endpoint",
]
