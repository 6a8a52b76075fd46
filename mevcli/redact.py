"""The one redaction rule for RPC (and webhook) URLs, wherever a URL can surface.

A paid RPC URL carries its credentials in the userinfo (`https://user:pass@host`), the query
(`?apikey=…`) or a path segment (`/v2/<key>`). `redact_url` keeps the scheme, host and port, drops the
userinfo and the query, and keeps only path segments that read as plain words (`v2`, `rpc`,
`arbitrum-mainnet`); any other segment becomes `***`. `redact_text` applies it to every URL inside a
message, and to the bare path urllib3 prints (`… with url: /v2/<key> …`).

Run as `python -m mevcli.redact` it filters stdin to stdout (for shell scripts).
"""

from __future__ import annotations

import re
import sys
from urllib.parse import urlsplit

MASK = "***"
# A path segment shown as is: a version (`v2`) or lower-case words joined by `-`, `_` or `.`, short.
_PLAIN_SEGMENT = re.compile(r"v\d{1,2}|[a-z]{1,20}(?:[-_.][a-z]{1,20}){0,3}")
_URL = re.compile(
    r"\b[a-zA-Z][a-zA-Z0-9+.-]*://(?:[^\s'\"<>;,)\[\]{}]*@)?(?:\[[0-9a-fA-F:.]+\])?[^\s'\"<>;,)\[\]{}]*"
)
_BARE_PATH = re.compile(r"(\burl: )(/[^\s'\"<>;,)\]}]*)")  # urllib3: "Max retries exceeded with url: /…"


def redact_path(path: str) -> str:
    """`/v2/<key>` → `/v2/***`: plain-word segments kept, every other non-empty segment masked."""
    return "/".join(s if not s or _PLAIN_SEGMENT.fullmatch(s) else MASK for s in path.split("/"))


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
    bare = url.rstrip(":.")
    return redact_url(bare) + url[len(bare) :]


def redact_text(text: str) -> str:
    """`text` with every URL in it redacted (error messages, log lines, exception strings, JSON)."""
    if "/" not in text:
        return text
    text = _URL.sub(_redact_match, text)
    return _BARE_PATH.sub(lambda m: m.group(1) + redact_path(m.group(2)), text)


def main() -> None:
    for line in sys.stdin:
        sys.stdout.write(redact_text(line))


if __name__ == "__main__":
    main()
