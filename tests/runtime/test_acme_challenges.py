"""Challenge answers reach a runtime command line only as base64url: no command injection."""

from __future__ import annotations

import pytest

from controlplane.runtime import ChannelPool, HostTarget, RuntimeAnswerError
from controlplane.runtime.acme_challenges import MapChallengeResponder

MAP = "/etc/haproxy/lbctl/maps/_acme-challenges.map"


@pytest.fixture
def responder():
    channels = ChannelPool()
    try:
        # No SSH happens: every case below is refused before a host is asked.
        yield MapChallengeResponder(channels, [HostTarget("lb1", "198.18.0.10")], MAP)
    finally:
        channels.close()


@pytest.mark.parametrize(
    ("token", "answer"),
    [
        ("tok\nshutdown sessions", "tok.thumb"),
        ("tok;clear map", "tok.thumb"),
        ("tok en", "tok.thumb"),
        ("tok", "tok.thumb\nadd map x y z"),
        ("tok", "tok.thumb del"),
        ("tok", "no-dot"),
        ("", "a.b"),
        ("tok#", "tok.thumb"),
    ],
)
def test_a_token_or_answer_that_is_not_base64url_is_refused(responder, token, answer) -> None:
    with pytest.raises(RuntimeAnswerError, match="is not base64url"):
        responder.publish(token, answer)


def test_withdrawing_a_hostile_token_sends_nothing(responder) -> None:
    responder.withdraw("tok\nclear map " + MAP)  # silently ignored: never a valid token


def test_a_pair_without_hosts_cannot_answer() -> None:
    with pytest.raises(ValueError, match="at least one host"):
        MapChallengeResponder(ChannelPool(), [], MAP)
