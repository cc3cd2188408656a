"""Engine soak (small): 60 attachments, ``up`` then ``destroy --run-program`` through the real
CLI in the project folder, with 20% transient faults and a 10 requests/s limit on the
endpoint. Nothing lost, nothing duplicated, nothing else changed, every operation
completed. ``python -m bench`` runs 300.
"""

from __future__ import annotations

import pytest

from bench.engine_soak import run_engine_soak
from bench.org import all_targets


@pytest.mark.timeout(600)
def test_faults_and_throttling_under_the_engine_lose_duplicate_and_disturb_nothing(
        tmp_path, pulumi_cli, endpoint, org, orgs_client):
    report = run_engine_soak(endpoint, orgs_client, all_targets(org), tmp_path, count=60)

    assert (report.lost, report.duplicated, report.unexpected_changes) == (0, 0, 0), report.summary()
    # 60 attachments, the stack and the program's removal-limit resource, each created and deleted
    assert report.up_changes == {"create": 62} and report.destroy_changes["delete"] == 62
    assert report.completed
    print(report.summary())
    assert report.faults_injected > 0 and report.throttled > 0, report.summary()
    assert endpoint.control.faults()["rate"] == 0 and endpoint.control.rate_limit()["rate"] is None
