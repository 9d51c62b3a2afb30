"""The readers: HAProxy's tokenizer rules, keepalived blocks, and what they refuse."""

from __future__ import annotations

import pytest

from controlplane.config_import.haproxy_reader import read_haproxy, tokenize
from controlplane.config_import.keepalived_reader import read_keepalived
from controlplane.config_import.report import ImportRefused, Report, Where

HERE = Where("haproxy.cfg", 7)


def test_words_follow_haproxy_quotes_escapes_and_comments() -> None:
    line = r"""http-request set-header X "a b" 'c\d #' e\ f \x41 # a comment"""
    assert tokenize(line, HERE) == ["http-request", "set-header", "X", "a b", "c\\d #", "e f", "A"]


def test_unterminated_quote_is_refused_with_file_and_line() -> None:
    with pytest.raises(ImportRefused, match=r"haproxy.cfg:7: unterminated \" quote"):
        tokenize('acl x hdr(host) "a.example', HERE)


def test_a_line_break_hidden_in_a_value_is_refused() -> None:
    with pytest.raises(
        ImportRefused, match=r"haproxy.cfg:7: a value holds a NUL or a section keyword"
    ):
        tokenize(r'http-response set-header X "a\nfrontend evil"', HERE)


def test_sections_keep_their_lines_and_places() -> None:
    text = b"global\n  maxconn 10\n\nfrontend web *:80\n  default_backend app\n"
    sections = read_haproxy(text, "lb1/haproxy.cfg")
    assert [(s.keyword, s.name, s.args) for s in sections] == [
        ("global", "", []),
        ("frontend", "web", ["*:80"]),
    ]
    assert str(sections[1].lines[0].where) == "lb1/haproxy.cfg:5"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"global\n\x00\x01\x02", "lb1/haproxy.cfg:2: binary data"),
        (b"global\n  maxconn \xff\n", "lb1/haproxy.cfg:2: not UTF-8"),
        (b"  maxconn 10\n", "lb1/haproxy.cfg:1: 'maxconn' outside any section"),
        (b"# only a comment\n", "no section"),
        (b"global\n" + b"#" * (16 * 2**20), "more than a config can be"),
    ],
)
def test_what_is_not_a_config_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(ImportRefused, match=message):
        read_haproxy(data, "lb1/haproxy.cfg")


KEEPALIVED = b"""! a comment
global_defs { router_id lb1 }
vrrp_instance VI_1 {  # another
    interface eth0
    virtual_router_id 51
    notify_master "/usr/local/bin/up --to master"
    virtual_ipaddress {
        198.18.0.100/24 dev eth0
    }
}
include /etc/keepalived/conf.d/*.conf
"""


def test_keepalived_blocks_strings_and_a_missing_include() -> None:
    report = Report()
    nodes = read_keepalived(KEEPALIVED, "lb1/keepalived.conf", report)
    assert [n.words for n in nodes] == [["global_defs"], ["vrrp_instance", "VI_1"]]
    instance = nodes[1]
    assert instance.child("notify_master").values() == ["/usr/local/bin/up --to master"]
    assert instance.child("virtual_ipaddress").children[0].words == [
        "198.18.0.100/24",
        "dev",
        "eth0",
    ]
    assert [str(i) for i in report.items] == [
        "missing: lb1/keepalived.conf:11: include /etc/keepalived/conf.d/*.conf "
        "-- no such file collected"
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"vrrp_instance A {\n interface eth0\n", "never closed"),
        (b'vrrp_instance A {\n notify "/x\n}\n', 'keepalived.conf:2: unterminated " quote'),
        (b"}\n", "keepalived.conf:1: '}' closes no block"),
    ],
)
def test_broken_keepalived_conf_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(ImportRefused, match=message):
        read_keepalived(data, "lb1/keepalived.conf", Report())


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        ("user admin insecure-password s3cret", "user admin insecure-password ********"),
        ("user admin password $6$salt$hash", "user admin password ********"),
        ("stats auth admin:s3cret", "stats auth admin:********"),
        ("auth_pass s3cret", "auth_pass ********"),
    ],
)
def test_report_lines_never_show_a_password(line: str, shown: str) -> None:
    from controlplane.config_import.report import Item

    assert str(Item("differs", HERE, line)) == f"differs: haproxy.cfg:7: {shown}"


def test_an_over_large_file_in_a_folder_is_refused_before_it_is_read(tmp_path) -> None:
    from controlplane.config_import.importer import read_dir

    (tmp_path / "lb1").mkdir()
    with (tmp_path / "lb1/haproxy.cfg").open("wb") as big:
        big.truncate(50 * 2**20)
    with pytest.raises(ImportRefused, match=r"lb1/haproxy.cfg: 52428800 bytes is more than"):
        read_dir(tmp_path)
