"""Outage windows: what a failover probe reports as the client-visible outage."""

from __future__ import annotations

from controlplane.observe.outage import OutageTracker


def test_no_failure_means_the_longest_gap_is_the_probe_interval() -> None:
    outage = OutageTracker(started=0.0, max_windows=10)
    for now in (0.1, 0.2, 0.3):
        outage.ok(now)
    assert outage.report(0.3) == {
        "max_outage_s": 0.1,
        "outage_windows": [],
        "outage_windows_total": 0,
    }


def test_a_window_spans_last_success_to_next_success() -> None:
    outage = OutageTracker(started=0.9, max_windows=10)
    outage.ok(1.0)
    outage.failed()
    outage.failed()
    outage.ok(1.4)
    report = outage.report(2.0)
    assert report["max_outage_s"] == 0.4
    assert report["outage_windows"] == [
        {"start_s": 0.1, "end_s": 0.5, "duration_s": 0.4, "failed_requests": 2}
    ]


def test_an_outage_still_going_at_the_end_counts_and_is_marked_open() -> None:
    outage = OutageTracker(started=0.4, max_windows=1)
    outage.ok(0.5)
    outage.failed()
    outage.ok(0.7)
    outage.failed()
    report = outage.report(3.0)
    assert report["max_outage_s"] == 2.3  # from the last success at 0.7 to the end
    assert report["outage_windows_total"] == 2
    assert report["outage_windows"] == [  # capped at max_windows
        {"start_s": 0.1, "end_s": 0.3, "duration_s": 0.2, "failed_requests": 1}
    ]
    assert outage.report(3.0) == report  # reporting does not change the tracker
