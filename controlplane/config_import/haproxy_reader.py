"""Read an haproxy.cfg into sections of located lines, by HAProxy's own tokenizer rules.

Words are separated by spaces or tabs; `#` outside quotes starts a comment; a backslash
escapes the next character (`\\ `, `\\#`, `\\\\`, `\\"`, `\\'`) or writes one (`\\xNN`,
`\\r`, `\\n`, `\\t`); double quotes group a word and still read escapes, single quotes
group a word and read nothing. Anything that is not a config -- binary data, a file past
MAX_CONFIG_BYTES, an unterminated quote, a line break hidden in a value (where a section
keyword could follow) -- is refused with the file and line, never a traceback.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from ..model.directives import SECTION_KEYWORDS
from .report import ImportRefused, Where

MAX_CONFIG_BYTES = 16 * 2**20
# A line break in a value is legitimate (`tcp-check send PING\r\n`); one followed by a
# section keyword would open a section wherever the value is printed again.
_HIDDEN_LINE = re.compile(r"[\r\n]\s*([a-z-]+)")
_SYNTAX = re.compile(r"[\"'\\#\x00]")
_ESCAPES = {"r": "\r", "n": "\n", "t": "\t"}
_QUOTES = re.compile(r"[\"'\\]")


@dataclass(frozen=True)
class Line:
    """One directive: its words (quotes and escapes read), its text as written, its place."""

    words: list[str]
    raw: str
    where: Where

    @property
    def keyword(self) -> str:
        return self.words[0]


@dataclass
class Section:
    keyword: str  # global, defaults, frontend, ...
    name: str  # "" when the section line has none
    args: list[str]  # words after the name (an address on `frontend web *:80`)
    where: Where
    lines: list[Line] = field(default_factory=list)


def host_path(path: str) -> str:
    """An absolute path in one form: '/etc/x', never '//etc/x' or '/etc/./x'."""
    return "/" + posixpath.normpath("/" + path).lstrip("/")


def decode_config(data: bytes, source: str, limit: int = MAX_CONFIG_BYTES) -> str:
    """Return the text of a config file, or refuse binary and over-large input."""
    if len(data) > limit:
        raise ImportRefused(
            f"{source}: {len(data)} bytes is more than a config can be "
            f"({limit // 2**20} MiB); is this the right file?"
        )
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise ImportRefused(f"{source}:{line}: binary data (a NUL byte): not a config file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportRefused(f"{source}:{line}: not UTF-8 text: not a config file") from None


def tokenize(text: str, where: Where) -> list[str]:
    """Return the words of one line; refuse an unterminated quote or a bad escape."""
    if not _SYNTAX.search(text):
        return text.split()  # most lines: no quotes, escapes or comments (50,000 servers)
    words: list[str] = []
    word: list[str] = []
    in_word = False
    quote = ""
    i = 0
    while i < len(text):
        char = text[i]
        if quote == "'":
            if char == "'":
                quote = ""
            else:
                word.append(char)
        elif char == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            in_word = True
            if nxt == "x":
                digits = text[i + 2 : i + 4]
                try:
                    word.append(chr(int(digits, 16)))
                except ValueError:
                    raise ImportRefused(f"{where}: '\\x' needs two hex digits") from None
                i += 4
                continue
            word.append(_ESCAPES.get(nxt, nxt))
            i += 2
            continue
        elif quote == '"':
            if char == '"':
                quote = ""
            else:
                word.append(char)
        elif char in "\"'":
            quote = char
            in_word = True
        elif char in " \t":
            if in_word:
                words.append("".join(word))
                word, in_word = [], False
        elif char == "#":
            break
        else:
            word.append(char)
            in_word = True
        i += 1
    if quote:
        raise ImportRefused(f"{where}: unterminated {quote} quote")
    if in_word:
        words.append("".join(word))
    for w in words:
        hidden = _HIDDEN_LINE.search(w)
        if "\x00" in w or (hidden and hidden.group(1) in SECTION_KEYWORDS):
            raise ImportRefused(
                f"{where}: a value holds a NUL or a section keyword after a line break "
                f"({w[:40]!r}): write the value without it"
            )
    return words


def kept_text(line: str) -> str:
    """Return a line as the model keeps it: words apart by one space, no comment.

    A model line is printable ASCII (a tab is not); a tab inside double quotes becomes the
    `\\t` escape HAProxy reads back as one, inside single quotes it stays (and the model
    refuses it with the field's name).
    """
    if "\t" not in line and "#" not in line and "  " not in line:
        return line
    if not _QUOTES.search(line):
        return " ".join(line.split("#", 1)[0].split())
    out: list[str] = []
    quote = ""
    i = 0
    while i < len(line):
        char = line[i]
        if char == "\\" and quote != "'":
            out.append(line[i : i + 2])
            i += 2
            continue
        if quote:
            quote = "" if char == quote else quote
            out.append("\\t" if char == "\t" and quote == '"' else char)
        elif char in "\"'":
            quote = char
            out.append(char)
        elif char == "#":
            break
        elif char in " \t":
            if out and out[-1] != " ":
                out.append(" ")
        else:
            out.append(char)
        i += 1
    return "".join(out).rstrip()


def read_haproxy(data: bytes, source: str) -> list[Section]:
    """Return the sections of an haproxy.cfg; refuse what is not one (ImportRefused)."""
    text = decode_config(data, source)
    sections: list[Section] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        raw = raw.rstrip("\r")
        where = Where(source, number)
        words = tokenize(raw, where)
        if not words:
            continue
        if words[0] in SECTION_KEYWORDS:
            name = words[1] if len(words) > 1 else ""
            sections.append(Section(words[0], name, words[2:], where))
            continue
        if not sections:
            raise ImportRefused(f"{where}: '{words[0]}' outside any section")
        sections[-1].lines.append(Line(words, kept_text(raw.strip()), where))
    if not sections:
        raise ImportRefused(f"{source}: no section (global, defaults, frontend...): empty?")
    return sections
