"""Webhook delivery: JSON to every URL, bounded retries with backoff, never blocking callers."""

from __future__ import annotations

import socket
import time

from controlplane.observe.alerts import Alert
from controlplane.observe.webhooks import WebhookSender, shown_url

from .webhook_receiver import webhook_receiver

ALERT = Alert("backend_down", "app/app2 on lb1", "critical", "firing", "DOWN", "prod", "now")


def wait(sender: WebhookSender, count: int, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and len(sender.deliveries) < count:
        time.sleep(0.02)


def test_a_refused_attempt_is_retried_and_the_alert_delivered_once() -> None:
    with webhook_receiver(answers=[500]) as hook:
        sender = WebhookSender([hook.url], attempts=3, backoff_s=0.05)
        try:
            sender(ALERT)
            wait(sender, 1)
        finally:
            sender.close()
    assert len(hook.received) == 2  # the 500, then the retry
    assert hook.accepted == [ALERT.as_json()]
    delivery = sender.deliveries[0]
    assert delivery.delivered and delivery.attempts == 2
    assert (sender.delivered, sender.failed) == (1, 0)


def test_attempts_are_bounded() -> None:
    with webhook_receiver(answers=[503] * 10) as hook:
        sender = WebhookSender([hook.url], attempts=3, backoff_s=0.01)
        try:
            sender(ALERT)
            wait(sender, 1)
        finally:
            sender.close()
    assert len(hook.received) == 3
    assert not sender.deliveries[0].delivered and sender.deliveries[0].error == "HTTP 503"
    assert sender.failed == 1


def test_a_dead_webhook_neither_blocks_the_caller_nor_delays_the_others() -> None:
    # A listening socket that never answers: each attempt waits for its timeout.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    dead = f"http://127.0.0.1:{silent.getsockname()[1]}/hook"
    try:
        with webhook_receiver() as hook:
            sender = WebhookSender([dead, hook.url], attempts=2, backoff_s=0.5, timeout_s=2.0)
            try:
                started = time.monotonic()
                for _ in range(3):
                    sender(ALERT)
                assert time.monotonic() - started < 0.1  # queued, not sent, by the caller
                assert len(hook.wait_for(3, 5.0)) == 3  # the live webhook got them at once
                assert time.monotonic() - started < 2.0
            finally:
                sender.close(timeout_s=1.0)
    finally:
        silent.close()


def test_urls_are_logged_without_their_secrets() -> None:
    assert shown_url("https://user:pw@hooks.example.com:8443/T0K3N?k=v") == (
        "https://hooks.example.com:8443"
    )
