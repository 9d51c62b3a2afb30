"""The fast paths for server addresses answer exactly what inet_pton/inet_ntop would."""

from __future__ import annotations

import socket

from hypothesis import given, settings
from hypothesis import strategies as st

from controlplane.model.resolvers import _is_plain_ipv4
from controlplane.model.types import _check_server_address, _is_canonical_unicast_ipv4


def _by_the_socket_library(value: str) -> bool:
    """The check the regex replaced: a unicast IPv4 address printed canonically."""
    try:
        packed = socket.inet_pton(socket.AF_INET, value)
    except (OSError, ValueError):
        return False
    return 0 < packed[0] < 224 and socket.inet_ntop(socket.AF_INET, packed) == value


OCTETS = st.one_of(
    st.integers(0, 300).map(str),
    st.integers(0, 99).map(lambda n: f"0{n}"),
    st.text("0123456789\u0661 \n+-x", max_size=4),  # U+0661: an Arabic-Indic one
)
QUADS = st.lists(OCTETS, min_size=1, max_size=6).map(".".join)


@settings(max_examples=800)
@given(value=QUADS | st.text(max_size=20))
def test_the_regex_agrees_with_the_socket_library(value: str) -> None:
    assert _is_canonical_unicast_ipv4(value) == _by_the_socket_library(value)


def test_edge_addresses() -> None:
    accepted = ["1.0.0.0", "9.9.9.9", "223.255.255.255", "198.19.0.1", "100.64.0.10"]
    refused = ["0.1.2.3", "224.0.0.1", "255.255.255.255", "01.2.3.4", "1.2.3.04", "1.2.3.4\n"]
    for value in accepted + refused:
        assert _is_canonical_unicast_ipv4(value) == _by_the_socket_library(value), value
    assert [_check_server_address(v) for v in accepted] == accepted


def _plain_by_the_socket_library(value: str) -> bool:
    """The check resolvers.py's regex replaced: any IPv4 address printed canonically."""
    try:
        packed = socket.inet_pton(socket.AF_INET, value)
    except (OSError, ValueError):
        return False
    return socket.inet_ntop(socket.AF_INET, packed) == value


@settings(max_examples=800)
@given(value=QUADS | st.text(max_size=20))
def test_dns_names_are_told_from_ipv4_as_the_socket_library_does(value: str) -> None:
    assert _is_plain_ipv4(value) == _plain_by_the_socket_library(value)
    for edge in ("0.0.0.0", "255.255.255.255", "224.0.0.1", "01.2.3.4", "1.2.3.4\n"):
        assert _is_plain_ipv4(edge) == _plain_by_the_socket_library(edge), edge
