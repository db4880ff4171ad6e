"""Text tasks over web names: URLs (phishing_url) and domain names (dga_detector).

Benign URLs look like real sites: known brands and dictionary-word domains, sub-domains, paths, query
strings, including legitimate sign-in pages. Phishing URLs use look-alike brands, brands buried in
long sub-domains, raw IPs, ``@`` tricks, hyphen chains and cheap TLDs; some sit on compromised
ordinary sites, and both classes use URL shorteners, so the classes overlap.

Benign domains are dictionary-ish names (one to three words, digits, short acronyms, brands); DGA
domains come from families modelled on known malware generators, returned as the row's group.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from fortress.datasets.simulator.base import ObjectArray, Sample, flip_binary, frame, pick
from fortress.datasets.simulator.vocab import (
    BENIGN_TLD_WEIGHTS,
    BENIGN_TLDS,
    BRANDS,
    DGA_WORDS,
    LOOKALIKE_SWAPS,
    SUSPICIOUS_TLDS,
    WORDS,
)

_Maker = Callable[[np.random.Generator], str]
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_ALNUM = _LETTERS + "0123456789"
_SUBDOMAINS = ("www", "www", "www", "mail", "docs", "shop", "blog", "en", "m", "support", "news", "app")
_LURES = ("login", "signin", "verify", "secure", "account", "update", "confirm", "billing", "webscr", "auth")


def _c(rng: np.random.Generator, options: tuple[str, ...] | str) -> str:
    return str(options[int(rng.integers(len(options)))])


def _word(rng: np.random.Generator) -> str:
    return _c(rng, WORDS)


def _random(rng: np.random.Generator, alphabet: str, low: int, high: int) -> str:
    return "".join(alphabet[i] for i in rng.integers(0, len(alphabet), int(rng.integers(low, high + 1))))


def _benign_tld(rng: np.random.Generator) -> str:
    return str(rng.choice(BENIGN_TLDS, p=np.asarray(BENIGN_TLD_WEIGHTS) / sum(BENIGN_TLD_WEIGHTS)))


def _site_name(rng: np.random.Generator) -> str:
    r = rng.random()
    if r < 0.3:
        return _word(rng)
    if r < 0.75:
        return _word(rng) + _word(rng)
    if r < 0.85:
        return f"{_word(rng)}-{_word(rng)}"
    if r < 0.93:
        return _word(rng) + str(rng.integers(1, 100))
    return _random(rng, _LETTERS, 2, 4)  # acronyms: bbc, cnn, xkcd


def _path(rng: np.random.Generator, max_segments: int = 4) -> str:
    parts = []
    for _ in range(int(rng.integers(0, max_segments + 1))):
        r = rng.random()
        parts.append(
            "-".join(_word(rng) for _ in range(int(rng.integers(1, 4))))
            if r < 0.6
            else str(rng.integers(1, 99999))
            if r < 0.8
            else _word(rng) + _c(rng, (".html", ".php", ".aspx", ".htm"))
        )
    path = "/" + "/".join(parts)
    if rng.random() < 0.3:
        path += f"?{_word(rng)}={rng.integers(1, 9999)}" + (
            f"&ref={_word(rng)}" if rng.random() < 0.4 else ""
        )
    return path


def _benign_url(rng: np.random.Generator) -> str:
    scheme = "https" if rng.random() < 0.85 else "http"
    r = rng.random()
    if r < 0.3:
        host = f"{_c(rng, (*_SUBDOMAINS, 'accounts', 'login', 'secure'))}.{_c(rng, BRANDS)}.com"
        path = (
            _path(rng) if rng.random() < 0.6 else f"/{_c(rng, _LURES)}" + _path(rng, 2)
        )  # real sign-in pages
    elif r < 0.95:
        host = f"{_c(rng, _SUBDOMAINS)}.{_site_name(rng)}.{_benign_tld(rng)}"
        host = host.removeprefix("www.") if rng.random() < 0.3 else host
        path = _path(rng)
    else:
        return f"https://{_c(rng, ('bit.ly', 't.co', 'tinyurl.com', 'goo.gl'))}/{_random(rng, _ALNUM, 5, 8)}"
    return f"{scheme}://{host}{path}"


def _lookalike(rng: np.random.Generator) -> str:
    brand = _c(rng, BRANDS)
    old, new = LOOKALIKE_SWAPS[int(rng.integers(len(LOOKALIKE_SWAPS)))]
    if old in brand and rng.random() < 0.7:
        return brand.replace(old, new, 1)
    return f"{brand}-{_c(rng, _LURES)}" if rng.random() < 0.6 else f"{_c(rng, _LURES)}{brand}"


def _phishing_url(rng: np.random.Generator) -> str:
    scheme = "https" if rng.random() < 0.4 else "http"
    tld = _c(rng, SUSPICIOUS_TLDS) if rng.random() < 0.6 else _benign_tld(rng)
    lure = f"/{_c(rng, _LURES)}" + (f"/{_c(rng, _LURES)}" if rng.random() < 0.5 else "")
    lure += _c(rng, ("", ".php", ".html", "/index.php", f"?session={_random(rng, _ALNUM, 16, 32)}"))
    r = rng.random()
    if r < 0.3:
        host = f"{_c(rng, ('www.', '', 'secure.', 'login.'))}{_lookalike(rng)}.{tld}"
    elif r < 0.5:
        chain = "-".join(_c(rng, _LURES) for _ in range(int(rng.integers(1, 4))))
        host = f"{_c(rng, BRANDS)}.com.{chain}.{_site_name(rng)}.{tld}"
    elif r < 0.62:
        host = ".".join(str(rng.integers(1, 255)) for _ in range(4))
        lure = f"/{_c(rng, BRANDS)}" + lure
    elif r < 0.72:
        host = f"www.{_c(rng, BRANDS)}.com@{_site_name(rng)}.{tld}"
    elif r < 0.94:  # a compromised ordinary site hosting a kit
        host = f"{_c(rng, ('www.', ''))}{_site_name(rng)}.{_benign_tld(rng)}"
        folder = _c(rng, ("wp-content", "wp-includes", "images", "css", "admin", _word(rng)))
        lure = f"/{folder}/{_c(rng, BRANDS)}{lure}"
    else:
        return f"http://{_c(rng, ('bit.ly', 'tinyurl.com', 'is.gd', 'cutt.ly'))}/{_random(rng, _ALNUM, 5, 8)}"
    return f"{scheme}://{host}{lure}"


def phishing_urls(n: int, rng: np.random.Generator) -> Sample:
    """URLs; about 40 % phishing."""
    y = (rng.random(n) < 0.4).astype(np.int64)
    urls = [_phishing_url(rng) if label else _benign_url(rng) for label in y]
    return Sample(frame({"url": np.asarray(urls, dtype=object)}, ("url",)), flip_binary(y, rng, 0.01, 0.01))


def _benign_domain(rng: np.random.Generator) -> str:
    name = _c(rng, BRANDS) if rng.random() < 0.1 else _site_name(rng)
    return f"{name}.{_benign_tld(rng)}"


def _banjori(rng: np.random.Generator) -> str:
    return _random(rng, _LETTERS, 4, 4) + "earnestnessbiophysicalohax.com"[4:]


def _wordlist(words: int, separator: str) -> _Maker:
    return lambda rng: (
        separator.join(_c(rng, DGA_WORDS) for _ in range(words)) + "." + _c(rng, ("net", "com"))
    )


# (family, share of DGA rows, generator); the shares follow no real feed, they give every family room.
_DGA_FAMILIES: tuple[tuple[str, float, _Maker], ...] = (
    (
        "cryptolocker",
        0.2,
        lambda r: f"{_random(r, _LETTERS, 12, 18)}.{_c(r, ('com', 'net', 'biz', 'ru', 'org'))}",
    ),
    ("necurs", 0.15, lambda r: f"{_random(r, _LETTERS, 7, 21)}.{_c(r, ('tk', 'pw', 'in', 'cc', 'ws'))}"),
    (
        "conficker",
        0.15,
        lambda r: f"{_random(r, _LETTERS, 5, 11)}.{_c(r, ('com', 'net', 'org', 'info', 'biz'))}",
    ),
    ("bamital", 0.1, lambda r: f"{_random(r, '0123456789abcdef', 32, 32)}.{_c(r, ('info', 'org', 'cc'))}"),
    ("kraken", 0.15, lambda r: f"{_random(r, _ALNUM, 6, 12)}.{_c(r, ('dyndns.org', 'com', 'net'))}"),
    ("banjori", 0.07, _banjori),
    ("suppobox", 0.1, _wordlist(2, "")),
    ("matsnu", 0.08, _wordlist(3, "-")),
)
DGA_FAMILIES: tuple[str, ...] = tuple(name for name, _, _ in _DGA_FAMILIES)
"""The group names of DGA rows; benign rows have the group 'benign'."""


def dga_domains(n: int, rng: np.random.Generator) -> Sample:
    """Domain names; about half DGA. Groups: the generator family, or 'benign'."""
    y = (rng.random(n) < 0.5).astype(np.int64)
    family = pick(rng, [share for _, share, _ in _DGA_FAMILIES], n)
    names: list[str] = []
    groups: ObjectArray = np.empty(n, dtype=object)
    for i, label in enumerate(y):
        if label:
            groups[i], _, make = _DGA_FAMILIES[family[i]]
            names.append(make(rng))
        else:
            names.append(_benign_domain(rng))
            groups[i] = "benign"
    y = flip_binary(y, rng, 0.002, 0.002)
    return Sample(frame({"domain": np.asarray(names, dtype=object)}, ("domain",)), y, groups)
