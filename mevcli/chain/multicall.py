"""Multicall3 batching: many read calls in one `eth_call`, with per-call success flags."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from mevcli.chain.addresses import keccak, to_checksum_address
from mevcli.chain.batch import BatchRefused, packed, rpc_batch
from mevcli.errors import RpcError

if TYPE_CHECKING:
    from web3 import Web3

MULTICALL3_ADDRESS = "0xcA11bde05977b3631167028862bE2a173976CA11"
_AGGREGATE3 = keccak(text="aggregate3((address,bool,bytes)[])")[:4]
# Keep one eth_call well inside node gas / response limits.
DEFAULT_BATCH_SIZE = 500
# aggregate3 eth_calls per JSON-RPC batch request (one HTTP round trip); well under providers' batch caps.
DEFAULT_CHUNKS_PER_REQUEST = 20
# Bytes of calldata per JSON-RPC batch: nodes cap request bodies (anvil refuses a little over 2 MB as
# "Invalid request"; hosted providers cap lower or higher). A refused batch is split in halves anyway.
DEFAULT_BYTES_PER_REQUEST = 1_000_000
# Immutable answers one Multicall holds for the next read (`remember`): a few per newly identified pool.
MAX_REMEMBERED = 500_000


@lru_cache(maxsize=4096)
def selector(signature: str) -> bytes:
    """The 4-byte function selector (a keccak per signature, once: reads encode the same few)."""
    return keccak(text=signature)[:4]


@dataclass(frozen=True, slots=True)
class Call:
    """One read: `data` sent to `target` inside an aggregate3 batch, or with `target` CREATION, the
    creation code (and arguments) of a reader contract that `eth_call` runs without deploying it and
    whose constructor returns the answer (its own eth_call, in the same JSON-RPC batch as the rest)."""

    target: str
    data: bytes


CREATION = ""
# A block: its number, a tag ("latest"), or an EIP-1898 object ({"blockHash": …, "requireCanonical": …}).
BlockParam = int | str | dict[str, Any]


@dataclass(frozen=True, slots=True)
class CallResult:
    ok: bool
    data: bytes


def encode_call(signature: str, types: Sequence[str] = (), args: Sequence[object] = ()) -> bytes:
    if all(t in _WORD_TYPES for t in types):  # one word per argument: no need to import eth_abi
        return selector(signature) + b"".join(_word(t, a) for t, a in zip(types, args, strict=True))
    from eth_abi import encode

    return selector(signature) + encode(list(types), list(args))


_WORD_TYPES = frozenset({"uint256", "uint24", "int128", "int24", "address"})


def _word(kind: str, value: object) -> bytes:
    """One ABI word for `value` of a static `kind` (range-checked as eth_abi checks it)."""
    if kind == "address":
        raw = bytes.fromhex(to_checksum_address(value)[2:])  # type: ignore[arg-type]
        return raw.rjust(32, b"\0")
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{kind} needs an int, not {type(value).__name__}")
    bits = int(kind.removeprefix("u").removeprefix("int"))
    low, high = (0, 2**bits) if kind.startswith("u") else (-(2 ** (bits - 1)), 2 ** (bits - 1))
    if not low <= value < high:
        raise ValueError(f"{value} does not fit in {kind}")
    return value.to_bytes(32, "big", signed=not kind.startswith("u"))


class Multicall:
    """Batch read calls through a Multicall3 contract at `address`, all at one block.

    Calls go in `aggregate3` chunks of `batch_size`; the chunks of one `call` travel in JSON-RPC batches
    of up to `chunks_per_request` and `bytes_per_request` (one HTTP round trip each) when the provider
    takes batches; a batch the node refuses as a whole is sent again in halves.

    Answers `remember`ed (a pool's immutable getters, as identity read them) are served once, to the next
    `call` asking them (the pool's first state read), instead of being sent again.
    """

    def __init__(
        self,
        w3: Web3,
        address: str = MULTICALL3_ADDRESS,
        batch_size: int = DEFAULT_BATCH_SIZE,
        chunks_per_request: int = DEFAULT_CHUNKS_PER_REQUEST,
        bytes_per_request: int = DEFAULT_BYTES_PER_REQUEST,
    ):
        self.w3 = w3
        self.address = to_checksum_address(address)
        self.batch_size = batch_size
        self.chunks_per_request = chunks_per_request
        self.bytes_per_request = bytes_per_request
        self._known: dict[tuple[str, bytes], CallResult] = {}

    def remember(self, call: Call, result: CallResult) -> None:
        """`result` is `call`'s answer at every block (an immutable getter that answered just now)."""
        if result.ok and len(self._known) < MAX_REMEMBERED:
            self._known[(call.target.lower(), call.data)] = result

    def _groups(self, payloads: Sequence[tuple[bool, bytes]]) -> list[list[tuple[bool, bytes]]]:
        """Consecutive payloads per JSON-RPC batch: at most `chunks_per_request`, and no more bytes than
        `bytes_per_request` (a single larger payload goes alone)."""
        groups = packed([len(p) for _, p in payloads], self.bytes_per_request, self.chunks_per_request)
        return [[payloads[i] for i in group] for group in groups]

    def call(
        self, calls: Sequence[Call], block: BlockParam = "latest", *, fresh: bool = False
    ) -> list[CallResult]:
        """Run `calls` (allowing each to fail) in as few round trips as the batch sizes permit; answers
        `remember`ed are taken instead of asked, unless `fresh` (every answer from the node)."""
        if fresh or not self._known:
            return self._call(calls, block)
        known = [self._known.pop((c.target.lower(), c.data), None) for c in calls]
        missing = [c for c, k in zip(calls, known, strict=True) if k is None]
        fresh = iter(self._call(missing, block) if missing else [])
        return [k if k is not None else next(fresh) for k in known]

    def _call(self, calls: Sequence[Call], block: BlockParam) -> list[CallResult]:
        payloads = self.payloads(calls)
        raws: list[bytes | None] = []
        for group in self._groups(payloads):
            if len(group) == 1 and group[0][0]:
                raws.append(self._send(group[0][1], block))
            else:
                raws += self._send_batch(group, block)
        return self.results(calls, payloads, raws)

    def payloads(self, calls: Sequence[Call]) -> list[tuple[bool, bytes]]:
        """The eth_call payloads of `calls`: aggregate3 ones (True) of up to `batch_size` calls, then one
        per creation call (False)."""
        batched = [c for c in calls if c.target != CREATION]
        payloads: list[tuple[bool, bytes]] = [
            (True, _AGGREGATE3 + encode_aggregate3(batched[i : i + self.batch_size]))
            for i in range(0, len(batched), self.batch_size)
        ]
        return payloads + [(False, c.data) for c in calls if c.target == CREATION]

    def results(
        self, calls: Sequence[Call], payloads: Sequence[tuple[bool, bytes]], raws: Sequence[bytes | None]
    ) -> list[CallResult]:
        """Each call's result from its payloads' answers (`raw_answer`'s)."""
        answers: list[CallResult] = []
        created: list[CallResult] = []
        for (aggregate, payload), raw in zip(payloads, raws, strict=True):
            if not aggregate:
                created.append(CallResult(raw is not None, raw or b""))
                continue
            if not raw:
                raise RpcError(f"no Multicall3 contract at {self.address} on this chain")
            decoded = decode_results(raw)
            asked = int.from_bytes(payload[4 + _WORD : 4 + 2 * _WORD], "big")  # the calls' array length
            if len(decoded) != asked:
                raise RpcError(
                    f"multicall failed: {len(decoded)} results for {asked} calls at {self.address}"
                )
            answers.extend(decoded)
        pending, made = iter(answers), iter(created)
        return [next(made) if c.target == CREATION else next(pending) for c in calls]

    def request(self, payload: tuple[bool, bytes], block: BlockParam) -> tuple[str, list[object]]:
        """The JSON-RPC request of one payload: aggregate3 to the Multicall3, a creation call without `to`."""
        aggregate, data = payload
        tag = hex(block) if isinstance(block, int) else block
        params = {"to": self.address, "data": "0x" + data.hex()} if aggregate else {"data": "0x" + data.hex()}
        return ("eth_call", [params, tag])

    @staticmethod
    def raw_answer(aggregate: bool, response: object) -> bytes | None:
        """A payload's answer from the node's response: a creation call the node refused or reverted
        answers None, an aggregate3 one raises."""
        if not isinstance(response, dict) or "result" not in response:
            if not aggregate:
                return None
            raise RpcError(f"multicall failed: {_short(response)}")
        return bytes.fromhex(str(response["result"]).removeprefix("0x"))

    def _send(self, payload: bytes, block: BlockParam) -> bytes:
        if isinstance(block, dict):  # an EIP-1898 block object: asked as is (web3 would refuse it)
            response = self.w3.provider.make_request(*self.request((True, payload), block))
            raw = self.raw_answer(True, response)
            return raw or b""
        try:
            return bytes(self.w3.eth.call({"to": self.address, "data": payload}, block))
        except ValueError as exc:  # web3 raises ValueError subclasses for JSON-RPC errors
            raise RpcError(f"multicall failed: {exc}") from exc

    def _send_batch(self, payloads: Sequence[tuple[bool, bytes]], block: BlockParam) -> list[bytes | None]:
        """Several eth_calls in one JSON-RPC batch (one by one if the provider has none)."""
        try:
            responses = rpc_batch(self.w3, [self.request(p, block) for p in payloads], "multicall failed")
        except BatchRefused:
            if len(payloads) == 1:
                return [self._send(payloads[0][1], block) if payloads[0][0] else None]
            half = len(payloads) // 2  # a limit we did not know of: halves, in order
            return self._send_batch(payloads[:half], block) + self._send_batch(payloads[half:], block)
        return [self.raw_answer(aggregate, r) for (aggregate, _), r in zip(payloads, responses, strict=True)]


def _short(response: object) -> str:
    error = response.get("error", response) if isinstance(response, dict) else response
    return str(error)[:300]


# -- the aggregate3 codec ----------------------------------------------------------------------------
# eth_abi's generic coder costs ~40 µs per call each way, the whole CPU of a small batch (a `watch` head's
# lender read); these write and read the one canonical layout directly, and hand anything else to eth_abi.
_WORD = 32
_TRUE = (1).to_bytes(_WORD, "big")
_ZERO_PAD = bytes(_WORD)
_BYTES_AT = (3 * _WORD).to_bytes(_WORD, "big")  # a call's data, after its target and flag
_address_words: dict[str, bytes] = {}  # target -> its ABI word, the address checked once


def _address_word(target: str) -> bytes | None:
    word = _address_words.get(target)
    if word is None:
        from eth_utils import is_address

        if not isinstance(target, str) or not is_address(target):
            return None  # eth_abi says what is wrong with it
        word = bytes(12) + bytes.fromhex(target[2:] if target[:2] in ("0x", "0X") else target)
        if len(_address_words) < MAX_REMEMBERED:
            _address_words[target] = word
    return word


def encode_aggregate3(calls: Sequence[Call]) -> bytes:
    """The ABI encoding of `aggregate3`'s argument, `(address,bool,bytes)[]` with every call allowed to
    fail (eth_abi's `encode`, byte for byte)."""
    heads: list[bytes] = []
    tails: list[bytes] = []
    offset = _WORD * len(calls)
    for call in calls:
        word, data = _address_word(call.target), call.data
        if word is None or not isinstance(data, bytes):
            from eth_abi import encode

            return encode(["(address,bool,bytes)[]"], [[(c.target, True, c.data) for c in calls]])
        padded = data + bytes(-len(data) % _WORD)
        tail = b"".join((word, _TRUE, _BYTES_AT, len(data).to_bytes(_WORD, "big"), padded))
        heads.append(offset.to_bytes(_WORD, "big"))
        tails.append(tail)
        offset += len(tail)
    return b"".join(((_WORD).to_bytes(_WORD, "big"), len(calls).to_bytes(_WORD, "big"), *heads, *tails))


def decode_results(raw: bytes) -> list[CallResult]:
    """`aggregate3`'s `(bool,bytes)[]` answer (eth_abi's `decode`, for the layout it and Multicall3
    write; any other is handed to eth_abi, which decodes it or says what is wrong)."""
    results = _decode_canonical(raw)
    if results is None:
        from eth_abi import decode

        (decoded,) = decode(["(bool,bytes)[]"], raw)
        results = [CallResult(ok, data) for ok, data in decoded]
    return results


def _decode_canonical(raw: bytes) -> list[CallResult] | None:
    """The results when `raw` is laid out exactly as a canonical encoder lays them out, else None."""
    size = len(raw)
    if size < 2 * _WORD or int.from_bytes(raw[:_WORD], "big") != _WORD:
        return None
    count = int.from_bytes(raw[_WORD : 2 * _WORD], "big")
    base = 2 * _WORD  # where the offsets (relative to here) start
    if base + count * _WORD > size:
        return None
    results: list[CallResult] = []
    expected = count * _WORD
    for i in range(count):
        at = base + i * _WORD
        if int.from_bytes(raw[at : at + _WORD], "big") != expected:
            return None
        start = base + expected
        if start + 3 * _WORD > size:
            return None
        flag = int.from_bytes(raw[start : start + _WORD], "big")
        inner = int.from_bytes(raw[start + _WORD : start + 2 * _WORD], "big")
        length = int.from_bytes(raw[start + 2 * _WORD : start + 3 * _WORD], "big")
        padded = length + (-length % _WORD)
        end = start + 3 * _WORD + padded
        if flag > 1 or inner != 2 * _WORD or end > size:
            return None
        data = raw[start + 3 * _WORD : start + 3 * _WORD + length]
        if raw[start + 3 * _WORD + length : end] != _ZERO_PAD[: padded - length]:
            return None
        results.append(CallResult(flag == 1, data))
        expected += 3 * _WORD + padded
    return results if base + expected == size else None
