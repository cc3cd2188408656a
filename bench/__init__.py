"""Benchmarks of the PolicyAttachment provider against the local Organizations
endpoint: AWS calls per operation and per preview, overhead of the provider
server, cold start, the guard's CPU time, and a fault-injection soak.

Run ``python -m bench`` (``--quick``, ``--json FILE``, ``--chart PNG``).
"""
