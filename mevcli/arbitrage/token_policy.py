"""Which tokens `scan` may route: those that behave like a plain ERC-20 on a fork-simulated transfer.

A token that runs code on transfer (a hook calling the sender or the receiver, a fee, a rebase) can reach
inside our executor's transaction. Before an opportunity is reported, each of its tokens is probed once
per chain with one `eth_call` at the scan block: a pool (or the Balancer Vault) that holds the token is
given `TokenProbe` code by a state override and transfers 1% of its balance to an address given
`TransferWitness` code. The token passes when the sender lost exactly that amount, the receiver gained
exactly that amount, and the token called neither of them. Verdicts are kept in
`<cache_dir>/token-policy/<chain_id>.json`, anchored to the chain they were judged on (see `cache.anchor`:
another chain under the same chain id, or a reorg below a verdict's block, drops it); a failed call is not
a verdict and is asked again next scan; new tokens are probed together in two JSON-RPC batches
(every `balanceOf`, then every probe); tokens listed in `[scan] trusted_tokens` skip the probe,
and `[scan] token_probe = false` turns the policy off.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

from eth_abi import decode, encode
from eth_utils import keccak, to_checksum_address
from web3 import Web3

from mevcli.arbitrage.opportunity import Opportunity
from mevcli.atomic import write_json
from mevcli.cache import anchor
from mevcli.cache.anchor import HashOf
from mevcli.chain.batch import rpc_batch

# An address nobody holds a key for, given the witness code during the probe.
WITNESS = "0x00000000000000000000000000000000007e57ed"
PROBE_SHARE = 100  # transfer 1/100 of the holder's balance
PROBE_FAILED = "probe call failed (does the node support eth_call state overrides?)"
BALANCE_FAILED = "balanceOf failed"
UNSETTLED = (PROBE_FAILED, BALANCE_FAILED)  # a failed call, not a verdict: asked again next scan
_BALANCE_OF = keccak(text="balanceOf(address)")[:4]
_PROBE = keccak(text="probe(address,address,uint256)")[:4]
_ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


@dataclass(frozen=True, slots=True)
class Verdict:
    plain: bool
    reason: str  # what the probe saw ("plain transfer", "calls the receiver", …)
    block: int


@cache
def _runtime(name: str) -> str:
    return json.loads((_ARTIFACTS / f"{name}.json").read_text())["deployedBytecode"]


def _call_request(to: str, data: bytes, block: int, overrides: dict | None = None) -> tuple[str, list[Any]]:
    params: list[Any] = [{"to": to, "data": "0x" + data.hex()}, hex(block)]
    if overrides:
        params.append(overrides)
    return ("eth_call", params)


def _result(response: Any) -> bytes | None:
    result = response.get("result") if isinstance(response, dict) else None
    return bytes.fromhex(result[2:]) if isinstance(result, str) else None


def _probe_request(token: str, holder: str, amount: int, block: int) -> tuple[str, list[Any]]:
    overrides = {holder: {"code": _runtime("TokenProbe")}, WITNESS: {"code": _runtime("TransferWitness")}}
    data = _PROBE + encode(["address", "address", "uint256"], [token, WITNESS, amount])
    return _call_request(holder, data, block, overrides)


def _judge(out: bytes | None, amount: int, block: int) -> Verdict:
    if out is None:
        return Verdict(False, PROBE_FAILED, block)
    sent, received, sender_called, receiver_called = decode(["uint256", "uint256", "bool", "bool"], out)
    if sent == 0 and received == 0:
        reason = "transfer failed"
    elif receiver_called:
        reason = "calls the receiver on transfer"
    elif sender_called:
        reason = "calls the sender on transfer"
    elif sent != amount or received != amount:
        reason = f"balance deltas differ from the amount (sent {sent}, received {received} of {amount})"
    else:
        return Verdict(True, "plain transfer", block)
    return Verdict(False, reason, block)


def probe_tokens(w3: Web3, holders_of: Mapping[str, str], block: int) -> dict[str, Verdict]:
    """Simulate each holder transferring 1% of its token balance and judge each token by what happened.

    Two JSON-RPC batches whatever the number of tokens: every `balanceOf`, then every probe."""
    tokens = list(holders_of)
    balances = rpc_batch(
        w3,
        [_call_request(t, _BALANCE_OF + encode(["address"], [holders_of[t]]), block) for t in tokens],
        "token probe",
    )
    verdicts: dict[str, Verdict] = {}
    amounts: dict[str, int] = {}
    for token, response in zip(tokens, balances, strict=True):
        raw = _result(response)
        if raw is None or len(raw) < 32:
            verdicts[token] = Verdict(False, BALANCE_FAILED, block)
        elif int.from_bytes(raw[:32], "big") // PROBE_SHARE == 0:
            verdicts[token] = Verdict(False, "holder balance too small to probe", block)
        else:
            amounts[token] = int.from_bytes(raw[:32], "big") // PROBE_SHARE
    probed = list(amounts)
    outs = (
        rpc_batch(w3, [_probe_request(t, holders_of[t], amounts[t], block) for t in probed], "token probe")
        if probed
        else []
    )
    for token, response in zip(probed, outs, strict=True):
        verdicts[token] = _judge(_result(response), amounts[token], block)
    return {t: verdicts[t] for t in tokens}


def probe_token(w3: Web3, token: str, holder: str, block: int) -> Verdict:
    """Simulate `holder` transferring 1% of its `token` balance and judge the token by what happened."""
    return probe_tokens(w3, {token: holder}, block)[token]


class VerdictStore:
    """Probe verdicts per token for one chain, in one small JSON file (written atomically). Only the
    verdicts judged at or below the newest anchor still on the chain (`hash_of` reads a block's hash)
    are loaded."""

    def __init__(self, cache_dir: Path, chain_id: int, hash_of: HashOf) -> None:
        self.path = cache_dir / "token-policy" / f"{chain_id}.json"
        self.hash_of = hash_of
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            data = {}
        data = data if isinstance(data, dict) else {}
        anchors = anchor.load(data.get("anchors"))
        through = anchor.valid_through(anchors, hash_of)
        self.anchors = [(b, h) for b, h in anchors if b <= through]
        rows = data.get("verdicts") if isinstance(data.get("verdicts"), dict) else {}
        self.verdicts: dict[str, Verdict] = {}
        for token, row in rows.items():
            try:
                verdict = Verdict(**row)
            except TypeError:
                continue
            if verdict.block <= through:
                self.verdicts[token] = verdict

    def get(self, token: str) -> Verdict | None:
        return self.verdicts.get(token.lower())

    def put(self, token: str, verdict: Verdict) -> None:
        self.verdicts[token.lower()] = verdict

    def save(self, block: int) -> None:
        """Write the verdicts, anchored at `block` (where the new ones were judged)."""
        block_hash = self.hash_of(block)
        if block_hash is None:  # the block is gone (a reorg meanwhile): keep only what was anchored
            self.verdicts = {k: v for k, v in self.verdicts.items() if v.block < block}
        else:
            self.anchors = anchor.load(anchor.added(self.anchors, block, block_hash))
        data = {
            "anchors": [list(a) for a in self.anchors],
            "verdicts": {k: asdict(v) for k, v in sorted(self.verdicts.items())},
        }
        write_json(self.path, data, indent=1)


def holders(opportunities: Sequence[Opportunity], vault_of: Callable[[str], str | None]) -> dict[str, str]:
    """A holder to probe each token from: the first pool seen trading it (for Balancer, its Vault)."""
    found: dict[str, str] = {}
    for o in opportunities:
        for token, pool in zip(o.tokens, o.pools, strict=False):
            found.setdefault(token.lower(), vault_of(pool) or pool)
    return found


def routable(
    w3: Web3,
    store: VerdictStore,
    opportunities: Sequence[Opportunity],
    vault_of: Callable[[str], str | None],
    trusted: set[str],
    block: int,
    progress: Callable[[str], None],
) -> tuple[list[Opportunity], dict[str, Verdict]]:
    """The opportunities whose every token is trusted or passes the probe; and the tokens refused."""
    refused: dict[str, Verdict] = {}
    tokens = {t.lower() for t in set().union(*(o.tokens for o in opportunities))}
    candidates = tokens - trusted
    unknown: dict[str, str] = {}
    if any(store.get(t) is None for t in candidates):  # a holder to probe from, for those only
        unknown = {
            to_checksum_address(t): to_checksum_address(h)
            for t, h in holders(opportunities, vault_of).items()
            if t in candidates and store.get(t) is None
        }
    new = False
    for token, verdict in (probe_tokens(w3, unknown, block) if unknown else {}).items():
        if verdict.reason not in UNSETTLED:  # a failed call is not a verdict: ask again next scan
            store.put(token, verdict)
            new = True
        progress(f"token {token}: {verdict.reason}")
        if not verdict.plain:
            refused[token.lower()] = verdict
    for token in candidates:
        verdict = store.get(token)
        if verdict is not None and not verdict.plain:
            refused[token] = verdict
    if new:
        store.save(block)
    if not refused:
        return list(opportunities), refused
    kept = [o for o in opportunities if not refused.keys() & {t.lower() for t in o.tokens}]
    return kept, refused


def trusted_tokens(resolve: Callable[[str], str], scan_config: Mapping[str, Any]) -> set[str]:
    """`[scan] trusted_tokens` (symbols or addresses), lower-cased."""
    return {resolve(t).lower() for t in scan_config.get("trusted_tokens", [])}
