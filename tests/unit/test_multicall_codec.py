"""The aggregate3 codec in `chain.multicall` writes and reads what eth_abi does, byte for byte; a layout
it does not write itself goes to eth_abi."""

from __future__ import annotations

import random

import pytest
from eth_abi import encode
from eth_abi.exceptions import DecodingError, EncodingError

from mevcli.chain.multicall import Call, CallResult, decode_results, encode_aggregate3


def _calls(rng: random.Random, n: int) -> list[Call]:
    targets = ["0x" + bytes(rng.getrandbits(8) for _ in range(20)).hex() for _ in range(5)]
    return [
        Call(
            rng.choice(targets),
            bytes(rng.getrandbits(8) for _ in range(rng.choice([0, 4, 31, 32, 36, 68, 100]))),
        )
        for _ in range(n)
    ]


@pytest.mark.parametrize("seed", range(6))
def test_the_codec_equals_eth_abi(seed):
    rng = random.Random(seed)
    calls = _calls(rng, rng.randint(0, 40))
    assert encode_aggregate3(calls) == encode(
        ["(address,bool,bytes)[]"], [[(c.target, True, c.data) for c in calls]]
    )
    answers = [(rng.random() < 0.8, c.data[: rng.randint(0, len(c.data))]) for c in calls]
    raw = encode(["(bool,bytes)[]"], [answers])
    assert decode_results(raw) == [CallResult(ok, data) for ok, data in answers]


def test_what_the_codec_does_not_write_goes_to_eth_abi():
    answers = [(True, b"\x01" * 40), (False, b"")]
    raw = bytearray(encode(["(bool,bytes)[]"], [answers]))
    raw[-1] = 7  # a non-zero padding byte: eth_abi refuses it
    with pytest.raises(DecodingError):
        decode_results(bytes(raw))
    with pytest.raises(EncodingError):  # not an address
        encode_aggregate3([Call("0x" + "ab" * 19, b"")])
