"""The ACME HTTP-01 route that HAProxy itself answers: no extra web server, no reload.

A pair that serves an `acme:` certificate answers /.well-known/acme-challenge/TOKEN on each
of its plain-HTTP port-80 frontends from one map file, `<files_dir>/maps/<CHALLENGE_MAP>`:
the deploy ships it empty, and the control plane adds and removes its entries through the
runtime API (runtime/acme_challenges.py) while an order waits for its challenges. A token
not in the map falls through to the frontend's routes as any other request.
"""

from __future__ import annotations

from ..model import Frontend, LbModel

# The leading "_" keeps it apart from a model map's file (model names start alphanumeric).
CHALLENGE_MAP_KEY = "maps/_acme-challenges.map"
CHALLENGE_PREFIX = "/.well-known/acme-challenge/"
ACME_PORT = 80


def files_dir(model: LbModel) -> str:
    """Return where the files that travel with the config live on an LB host."""
    return model.settings.files_dir


def challenge_map_path(model: LbModel) -> str:
    """Return the challenge map's absolute path on an LB host."""
    return f"{files_dir(model).rstrip('/')}/{CHALLENGE_MAP_KEY}"


def acme_certificates(model: LbModel) -> list[str]:
    """Return the names of the model's certificates that ACME orders, in model order."""
    return [c.name for c in model.certificates if c.acme is not None]


def certificate_pairs(model: LbModel, certificate: str) -> list[str]:
    """Return the VIP pairs whose frontends serve `certificate`, in model order."""
    pairs = [fe.vip_pair for fe in model.frontends if certificate in _certificates_of(fe)]
    return list(dict.fromkeys(pairs))


def acme_pairs(model: LbModel) -> set[str]:
    """Return the VIP pairs that serve at least one ACME certificate."""
    return {pair for name in acme_certificates(model) for pair in certificate_pairs(model, name)}


def answers_challenges(fe: Frontend, pairs_with_acme: set[str]) -> bool:
    """Return whether `fe` is where its pair answers HTTP-01: plain HTTP on port 80."""
    return (
        fe.vip_pair in pairs_with_acme and fe.port == ACME_PORT and fe.mode == "http" and not fe.tls
    )


def challenge_frontends(model: LbModel, pair: str) -> list[str]:
    """Return the frontends of `pair` that answer HTTP-01 (none: the pair cannot be validated)."""
    pairs = acme_pairs(model) | {pair}
    return [
        fe.name for fe in model.frontends if fe.vip_pair == pair and answers_challenges(fe, pairs)
    ]


def challenge_lines(map_path: str) -> list[str]:
    """Return the frontend lines that answer a published token from the map, and only those.

    The token is the path's fourth '/'-field (/.well-known/acme-challenge/TOKEN); the body
    is the map's value, the key authorization, with no trailing newline (an ACME server
    compares it byte for byte). Checked with haproxy -c and served by the lab's HAProxy.
    """
    token = f"path,field(4,/),map({map_path})"
    return [
        f'http-request return status 200 content-type text/plain lf-string "%[{token}]" '
        f"if {{ path_beg {CHALLENGE_PREFIX} }} {{ {token} -m found }}"
    ]


def frontend_challenge_lines(model: LbModel, fe: Frontend, pairs_with_acme: set[str]) -> list[str]:
    """Return the challenge lines `fe` prints: none unless it answers its pair's HTTP-01."""
    if not answers_challenges(fe, pairs_with_acme):
        return []
    return challenge_lines(challenge_map_path(model))


def challenge_map_files(model: LbModel, host: str) -> dict[str, str]:
    """Return the files to ship to `host` for ACME: the empty challenge map, if it answers any.

    Keyed like every attached file, by the path relative to files_dir.
    """
    pairs = acme_pairs(model)
    answering = [
        fe
        for fe in model.frontends
        if answers_challenges(fe, pairs)
        and host in next(p.hosts for p in model.vip_pairs if p.name == fe.vip_pair)
    ]
    return (
        {CHALLENGE_MAP_KEY: "# ACME HTTP-01 answers: lbctl adds entries at run time\n"}
        if answering
        else {}
    )


def _certificates_of(fe: Frontend) -> list[str]:
    tls = fe.tls
    if tls is None:
        return []
    return list(tls.certificates)
