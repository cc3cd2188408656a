"""Soak (small): 50 attachments created and deleted through the provider server
while the endpoint fails 30% of all calls with transient errors. Nothing may
be lost, applied twice, or changed besides what was asked.

The full 200-attachment soak runs with ``python -m bench``; both use
:func:`bench.soak.run_soak`.
"""

from __future__ import annotations

import pytest

from bench.org import all_targets
from bench.soak import run_soak, tally


@pytest.mark.timeout(120)
def test_transient_faults_lose_duplicate_and_disturb_nothing(endpoint, org, orgs_client):
    report = run_soak(endpoint, orgs_client, all_targets(org), count=50, rate=0.3, seed=7)

    assert report.errors == []
    assert report.summary() == {"attachments": 50, "lost": 0, "duplicated": 0,
                                "unexpected_changes": 0, "faults_injected": report.faults_injected}
    assert report.faults_injected > 0
    assert report.applied["AttachPolicy"] == report.applied["DetachPolicy"] == 50
    assert endpoint.control.faults()["rate"] == 0  # faults off for the tests that follow


A, B, C = ("111111111111", "p-aaaaaaaa"), ("111111111111", "p-bbbbbbbb"), ("222222222222", "p-cccccccc")
FULL = ("111111111111", "p-FullAWSAccess")


@pytest.mark.parametrize("middle, after, expected", [
    ({FULL, A, B}, {FULL}, (0, 0)),                # all made, all removed
    ({FULL, A}, {FULL}, (1, 0)),                   # B never made
    ({FULL, A, B}, {FULL, B}, (1, 0)),             # B never removed
    ({FULL, A, B, C}, {FULL}, (0, 1)),             # C attached though not asked
    ({A, B}, {FULL}, (0, 1)),                      # FullAWSAccess gone after the creates
    ({FULL, A, B}, set(), (0, 1)),                 # FullAWSAccess gone after the deletes
    ({FULL, A, B}, {FULL, C}, (0, 1)),             # C left behind by the deletes
])
def test_tally_counts_lost_and_unexpected(middle, after, expected):
    assert tally(asked={A, B}, before={FULL}, middle=middle, after=after) == expected
