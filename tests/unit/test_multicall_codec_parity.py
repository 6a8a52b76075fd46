"""Seeded property test: the aggregate3 codec in `chain.multicall` and eth_abi agree on every input,
odd ones included (any address spelling, empty and unaligned data, truncated, padded, flipped or
re-pointed answers): the same bytes or answers, or both refuse. Never a silent mis-decode."""

from __future__ import annotations

import random

import pytest
from eth_abi import decode, encode
from eth_utils import to_checksum_address

from mevcli.chain.multicall import Call, CallResult, Multicall, decode_results, encode_aggregate3
from mevcli.errors import RpcError

LENGTHS = (0, 1, 4, 31, 32, 33, 63, 64, 65, 100, 257)
WORD = 32


def _outcome(fn, *args):
    try:
        return ("ok", fn(*args))
    except Exception as exc:  # the kind of refusal is what is compared
        return ("error", type(exc))


def _target(rng: random.Random) -> object:
    raw = bytes(rng.getrandbits(8) for _ in range(20))
    spelling = rng.randrange(9)
    if spelling == 0:
        return to_checksum_address(raw)
    if spelling == 1:
        return "0x" + raw.hex().upper()
    if spelling == 2:
        return "0X" + raw.hex()
    if spelling == 3:
        return raw.hex()  # no prefix
    if spelling == 4:  # mixed case, wrong checksum
        text = to_checksum_address(raw)
        return text[:2] + text[2:].swapcase() if text[2:] != text[2:].swapcase() else text
    if spelling == 5:
        return "0x" + raw.hex()[: rng.choice((38, 39, 41))]  # not 20 bytes
    if spelling == 6:
        return raw  # bytes, not text
    if spelling == 7:
        return "0x" + "zz" + raw.hex()[2:]
    return "0x" + raw.hex()


def _data(rng: random.Random) -> object:
    data = bytes(rng.getrandbits(8) for _ in range(rng.choice(LENGTHS)))
    kind = rng.randrange(12)
    if kind == 0:
        return bytearray(data)
    if kind == 1:
        return "0x" + data.hex()
    return data


@pytest.mark.parametrize("seed", range(40))
def test_encoding_equals_eth_abi_for_any_calls(seed):
    rng = random.Random(seed)
    calls = [Call(_target(rng), _data(rng)) for _ in range(rng.randint(0, 12))]  # type: ignore[arg-type]
    ours = _outcome(encode_aggregate3, calls)
    theirs = _outcome(lambda: encode(["(address,bool,bytes)[]"], [[(c.target, True, c.data) for c in calls]]))
    assert ours == theirs
    # the same calls again (the address words are remembered now), and each alone
    assert _outcome(encode_aggregate3, calls) == theirs
    for c in calls:
        assert _outcome(encode_aggregate3, [c]) == _outcome(
            lambda c=c: encode(["(address,bool,bytes)[]"], [[(c.target, True, c.data)]])
        )


def _answers(rng: random.Random) -> list[tuple[bool, bytes]]:
    return [
        (rng.random() < 0.6, bytes(rng.getrandbits(8) for _ in range(rng.choice(LENGTHS))))
        for _ in range(rng.randint(0, 8))
    ]


def _mutated(rng: random.Random, raw: bytes) -> bytes:
    """`raw` broken one way: cut, lengthened, a byte flipped, or one word set to an odd value."""
    buf = bytearray(raw)
    how = rng.randrange(6)
    if how == 0 and buf:
        return bytes(buf[: rng.randrange(len(buf))])
    if how == 1:
        return bytes(buf + bytes(rng.getrandbits(8) for _ in range(rng.choice((1, 5, 32, 64)))))
    if how == 2 and buf:
        at = rng.randrange(len(buf))
        buf[at] ^= 1 << rng.randrange(8)
        return bytes(buf)
    if len(buf) >= WORD:
        at = rng.randrange(len(buf) // WORD) * WORD
        value = rng.choice(
            (0, 1, 2, 31, 32, 33, 64, 96, 2**64, 2**255, 2**256 - 1, len(buf), len(buf) + WORD)
        )
        buf[at : at + WORD] = value.to_bytes(WORD, "big")
    return bytes(buf)


@pytest.mark.parametrize("seed", range(40))
def test_decoding_equals_eth_abi_for_any_answer(seed):
    rng = random.Random(1000 + seed)
    for _ in range(50):
        answers = _answers(rng)
        raw = encode(["(bool,bytes)[]"], [answers])
        assert decode_results(raw) == [CallResult(ok, data) for ok, data in answers]
        broken = _mutated(rng, raw)
        ours = _outcome(decode_results, broken)
        theirs = _outcome(lambda b=broken: [CallResult(ok, d) for ok, d in decode(["(bool,bytes)[]"], b)[0]])
        assert ours == theirs, broken.hex()


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        bytes(31),
        bytes(WORD),
        (WORD).to_bytes(WORD, "big") + (2**255).to_bytes(WORD, "big"),  # a count past the data
        (2**255).to_bytes(WORD, "big") + bytes(WORD),  # an offset past the data
        encode(["(bool,bytes)[]"], [[(False, b"\x08\xc3\x79\xa0" + bytes(60))]])[:-7],  # unaligned, cut
    ],
)
def test_a_malformed_answer_is_refused_as_eth_abi_refuses_it(raw):
    ours = _outcome(decode_results, raw)
    theirs = _outcome(lambda: [CallResult(ok, d) for ok, d in decode(["(bool,bytes)[]"], raw)[0]])
    assert ours == theirs


@pytest.mark.parametrize("answered", [1, 3])
def test_an_answer_with_another_count_of_results_than_its_calls_is_refused(answered):
    """A well-formed aggregate3 answer holding fewer or more results than its payload asked (another
    contract at the Multicall3 address, a broken node): refused, never shifted onto the next calls."""
    mc = Multicall(None, batch_size=2)  # type: ignore[arg-type] - no request is sent
    calls = [Call(to_checksum_address(bytes([i]) * 20), bytes([i])) for i in range(1, 5)]
    payloads = mc.payloads(calls)
    assert len(payloads) == 2
    first = encode(["(bool,bytes)[]"], [[(True, b"a%d" % i) for i in range(answered)]])
    second = encode(["(bool,bytes)[]"], [[(True, b"c"), (True, b"d")]])
    with pytest.raises(RpcError, match="2 calls"):
        mc.results(calls, payloads, [first, second])
