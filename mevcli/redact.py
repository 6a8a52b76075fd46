"""The one redaction rule for RPC (and webhook) URLs, wherever a URL can surface.

A paid RPC URL carries its credentials in the userinfo (`https://user:pass@host`), the query
(`?apikey=…`) or a path segment (`/v2/<key>`). `redact_url` keeps the scheme, host and port, drops the
userinfo and the query, and keeps only path segments made of words providers put in RPC paths (`v2`,
`rpc`, `arbitrum-mainnet`, see `PATH_WORDS`); any other segment becomes `***`, even a lower-case word
(a key can be one). `redact_text` applies it to every URL inside a
message, and to the bare paths urllib3 prints (`… with url: /v2/<key> …`); `first_line` is the one way an
exception becomes a short cause in a message.

Run as `python -m mevcli.redact` it filters stdin to stdout (for shell scripts).
"""

from __future__ import annotations

import re
import sys
from urllib.parse import urlsplit

MASK = "***"
# The words a path segment may be made of (joined by `-`) to be shown as is: versions, transports, networks.
PATH_WORDS = frozenset(
    {"v1", "v2", "v3", "rpc", "api", "http", "https", "ws", "wss", "mainnet", "testnet"}
    | {"ethereum", "eth", "arbitrum", "arb", "arb1", "one", "nova", "base", "optimism", "op", "polygon"}
    | {"matic", "sepolia", "goerli", "holesky"}
)
# Userinfo runs to the last `@` before the path: `;`, `,`, `'` and `)` are legal in a password. A query or
# fragment runs to the next blank or quote: `;` and `,` are legal in a key there too.
_URL = re.compile(
    r"\b[a-zA-Z][a-zA-Z0-9+.-]*://(?:[^\s/@]*@)*(?:\[[0-9a-fA-F:.]+\])?[^\s'\"<>;,)\[\]{}?#]*"
    r"(?:[?#][^\s'\"<>]*)?"
)
# The bare request path urllib3 prints: "… with url: /…", "Retrying (…) after connection broken by '…': /…",
# "Incremented Retry for (url='/…')".
_BARE_PATH = re.compile(r"(\burl: |\burl='|': )(/[^\s'\"<>;,)\]}?#]*)((?:[?#][^\s'\"<>]*)?)")


def redact_path(path: str) -> str:
    """`/v2/<key>` → `/v2/***`: segments of `PATH_WORDS` kept, every other non-empty segment masked."""
    return "/".join(s if not s or _is_path_word(s) else MASK for s in path.split("/"))


def _is_path_word(segment: str) -> bool:
    return all(word in PATH_WORDS for word in segment.split("-"))


def redact_url(url: str) -> str:
    """`url` with scheme, host and port only, plus its plain-word path segments; never its credentials."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return MASK
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    if not parts.scheme or not netloc:
        return MASK
    return f"{parts.scheme}://{netloc}{redact_path(parts.path)}"


def _redact_match(match: re.Match[str]) -> str:
    url = match.group(0)
    bare = url.rstrip(":.,;)")  # punctuation after a URL is the sentence's; the query is dropped anyway
    return redact_url(bare) + url[len(bare) :]


def redact_text(text: str) -> str:
    """`text` with every URL in it redacted (error messages, log lines, exception strings, JSON)."""
    if "/" not in text:
        return text
    text = _URL.sub(_redact_match, text)
    return _BARE_PATH.sub(lambda m: m.group(1) + redact_path(m.group(2)), text)  # the query is dropped


def first_line(exc: BaseException, limit: int = 200, *, with_type: bool = False) -> str:
    """The first non-empty line of `exc` (or its type's name), redacted, then clipped to `limit`."""
    line = next((text for text in str(exc).splitlines() if text.strip()), "") or type(exc).__name__
    if with_type and line != type(exc).__name__:
        line = f"{type(exc).__name__}: {line}"
    return clip(redact_text(line), limit)


def clip(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters at a word boundary, with `…` where it was cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,;:(") + "…"


def main() -> None:
    for line in sys.stdin:
        sys.stdout.write(redact_text(line))


if __name__ == "__main__":
    main()
