"""Calldata for `ArbExecutor.execute(Loan, Hop[], minProfit)` and decoding of its reverts. Pure: no I/O
beyond reading the shipped ArbExecutor artifact (for the error ABI).

The Solidity side (`contracts/ArbExecutor.sol`):

    struct Loan { uint8 kind; address lender; address token; uint256 amount; }
    struct Hop  { uint8 kind; address pool; address tokenIn; address tokenOut; uint24 fee;
                  bytes32 poolId; int128 i; int128 j; address vault; }
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import astuple, dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eth_abi import decode, encode
from eth_utils import keccak, to_checksum_address

from mevcli.arbitrage.opportunity import Opportunity
from mevcli.dex.kinds import KINDS, kind_named
from mevcli.errors import MevcliError

if TYPE_CHECKING:
    from mevcli.dex.pools import PoolState
    from mevcli.dex.registry import PoolRef

LOAN_TYPE = "(uint8,address,address,uint256)"
HOP_TYPE = "(uint8,address,address,address,uint24,bytes32,int128,int128,address)"
EXECUTE_SIGNATURE = f"execute({LOAN_TYPE},{HOP_TYPE}[],uint256)"
EXECUTE_SELECTOR = keccak(text=EXECUTE_SIGNATURE)[:4]

# Opportunity.flash_source -> Loan.kind
LOAN_KINDS: dict[str, int] = {"balancer": 0, "aave_v3": 1, "uniswap_v3": 2, "uniswap_v4": 3}
# pool_info "kind" (DexInfo.kind: the protocol family; Sushi is "uniswap_v2") -> Hop.kind
HOP_KINDS: dict[str, int] = {k.name: k.hop_code for k in KINDS.values() if k.hop_code is not None}

ZERO_ADDRESS = "0x" + "00" * 20
ZERO_POOL_ID = b"\x00" * 32
_ARTIFACT = Path(__file__).resolve().parent.parent / "artifacts" / "ArbExecutor.json"

ERROR_SELECTOR = keccak(text="Error(string)")[:4]  # 0x08c379a0
PANIC_SELECTOR = keccak(text="Panic(uint256)")[:4]  # 0x4e487b71
PANIC_CODES: dict[int, str] = {
    0x00: "generic compiler panic",
    0x01: "assert failed",
    0x11: "arithmetic overflow or underflow",
    0x12: "division or modulo by zero",
    0x21: "invalid enum value",
    0x22: "corrupt storage byte array",
    0x31: "pop on empty array",
    0x32: "array index out of bounds",
    0x41: "out of memory",
    0x51: "call to a zero-initialised function",
}


class CalldataError(MevcliError):
    """The opportunity cannot be expressed as an ArbExecutor call (unknown pool, forbidden lender, ...)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Loan:
    kind: int
    lender: str
    token: str
    amount: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ExecutorHop:
    """One entry of the executor's `Hop[]` (the Solidity struct above)."""

    kind: int
    pool: str
    token_in: str
    token_out: str
    fee: int = 0
    pool_id: bytes = ZERO_POOL_ID
    i: int = 0
    j: int = 0
    vault: str = ZERO_ADDRESS


def encode_execute(loan: Loan, hops: Sequence[ExecutorHop], min_profit: int) -> bytes:
    """ABI-encode the call: selector + (Loan, Hop[], uint256)."""
    args = encode(
        [LOAN_TYPE, f"{HOP_TYPE}[]", "uint256"], [astuple(loan), [astuple(h) for h in hops], min_profit]
    )
    return EXECUTE_SELECTOR + args


def build_loan(opp: Opportunity) -> Loan:
    if opp.flash_source not in LOAN_KINDS:
        raise CalldataError(
            f"unknown flash source {opp.flash_source!r} (expected one of {', '.join(LOAN_KINDS)})"
        )
    if not opp.flash_lender:
        raise CalldataError("the opportunity names no flash lender")
    if opp.amount_in <= 0:
        raise CalldataError("the loan amount must be positive")
    return Loan(
        kind=LOAN_KINDS[opp.flash_source],
        lender=to_checksum_address(opp.flash_lender),
        token=to_checksum_address(opp.base_token),
        amount=opp.amount_in,
    )


def build_hop(
    pool: str, token_in: str, token_out: str, info: Mapping[str, Any], vault: str | None
) -> ExecutorHop:
    """One hop from the pool's info: {"kind", "fee" (pips), "pool_id" (Balancer, V4), "coins" (Curve),
    ...}. A kind whose pools have no address of their own (V4: an id) names the Hop's `pool` itself."""
    kind = info.get("kind")
    if kind not in HOP_KINDS:
        raise CalldataError(f"pool {pool}: unsupported kind {kind!r}")
    fields = {**info, "vault": info.get("vault") or vault}  # the route's Vault unless the pool names one
    try:
        own = kind_named(kind).hop_fields(pool, token_in, token_out, fields)
        return ExecutorHop(
            **{
                "kind": HOP_KINDS[kind],
                "pool": to_checksum_address(own.get("pool", pool)),
                "token_in": to_checksum_address(token_in),
                "token_out": to_checksum_address(token_out),
                **{k: v for k, v in own.items() if k != "pool"},
            }
        )
    except ValueError as exc:
        raise CalldataError(str(exc)) from exc


def pool_info_of(refs: Iterable[PoolRef], states: Mapping[str, PoolState]) -> dict[str, dict[str, Any]]:
    """What `build_hop` needs about each pool, from its registry entry and its state."""
    info: dict[str, dict[str, Any]] = {}
    for ref in refs:
        state = states[ref.address]
        entry: dict[str, Any] = {"kind": ref.dex.kind}
        for field_name in ("fee_pips", "fee"):
            if hasattr(state, field_name) and isinstance(getattr(state, field_name), int):
                entry["fee"] = getattr(state, field_name)
                break
        entry.update(kind_named(ref.dex.kind).pool_info(ref, state))
        for field_name in ("pool_id", "coins", "vault"):
            if hasattr(state, field_name):
                entry[field_name] = getattr(state, field_name)
        info[ref.address] = entry
    return info


def build_hops(
    opp: Opportunity, pool_info: Mapping[str, Mapping[str, Any]], vault: str | None
) -> list[ExecutorHop]:
    info_by_pool = {address.lower(): info for address, info in pool_info.items()}
    hops = []
    for k, pool in enumerate(opp.pools):
        info = info_by_pool.get(pool.lower())
        if info is None:
            raise CalldataError(f"no pool info for {pool}")
        hops.append(build_hop(pool, opp.tokens[k], opp.tokens[k + 1], info, vault))
    return hops


def _check_lender(loan: Loan, hops: Sequence[ExecutorHop]) -> None:
    """Refuse routes the lender would lock: the Vault cannot lend to a route that swaps in it (one
    reentrancy lock), nor a V3 pool to a route that swaps in that pool (locked during `flash`)."""
    lender = loan.lender.lower()
    if loan.kind == LOAN_KINDS["balancer"] and any(
        h.kind == HOP_KINDS["balancer"] and h.vault.lower() == lender for h in hops
    ):
        raise CalldataError("a route that swaps in the Balancer Vault cannot borrow from it")
    if loan.kind == LOAN_KINDS["uniswap_v3"] and any(h.pool.lower() == lender for h in hops):
        raise CalldataError("a route cannot borrow from a Uniswap V3 pool it swaps in")


def build_execute_call(
    opp: Opportunity, pool_info: Mapping[str, Mapping[str, Any]], min_profit: int, vault: str | None
) -> bytes:
    """Calldata of `ArbExecutor.execute` for `opp`: borrow `amount_in` of the base token from the flash
    source and swap it along the route; revert on chain unless the profit after the fee is ≥ `min_profit`.

    `pool_info` maps each route pool (any address case, or a V4 pool id) to {"kind": "uniswap_v2" |
    "uniswap_v3" | "balancer" | "curve" | "uniswap_v4", "fee": pips, "pool_id": hex (Balancer, V4),
    "coins": [...] (Curve), "vault": optional per-pool Vault, "hooks" / "tick_spacing" / "pool_manager"
    (V4)}; `vault` is the Balancer Vault for pools that name none.
    """
    if min_profit < 0:
        raise CalldataError("min_profit must not be negative")
    if len(opp.tokens) != len(opp.pools) + 1 or opp.tokens[0].lower() != opp.tokens[-1].lower():
        raise CalldataError("the route must be a cycle: tokens = pools + 1, first == last")
    if opp.tokens[0].lower() != opp.base_token.lower():
        raise CalldataError("the route must start in the base token")
    loan = build_loan(opp)
    hops = build_hops(opp, pool_info, vault)
    _check_lender(loan, hops)
    return encode_execute(loan, hops, min_profit)


# -- reverts ---------------------------------------------------------------------------------------------


@cache
def _custom_errors() -> dict[bytes, tuple[str, tuple[str, ...], tuple[str, ...]]]:
    """selector -> (name, input names, input types) for every error in the ArbExecutor ABI."""
    abi = json.loads(_ARTIFACT.read_text())["abi"]
    errors = {}
    for item in abi:
        if item["type"] != "error":
            continue
        types = tuple(i["type"] for i in item["inputs"])
        selector = keccak(text=f"{item['name']}({','.join(types)})")[:4]
        errors[selector] = (item["name"], tuple(i["name"] for i in item["inputs"]), types)
    return errors


def _render(value: Any, abi_type: str) -> str:
    if abi_type == "address":
        return to_checksum_address(value)
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return str(value)


def decode_revert(data: bytes | str) -> str:
    """Human-readable revert reason: our custom errors by selector (`InsufficientProfit(balanceAfter=…,
    required=…)`), `Error(string)` as its message, `Panic(uint256)` with its meaning, else hex."""
    if isinstance(data, str):
        data = bytes.fromhex(data.removeprefix("0x"))
    if not data:
        return "reverted without data"
    selector, body = data[:4], data[4:]
    try:
        if selector == ERROR_SELECTOR:
            (message,) = decode(["string"], body)
            return message
        if selector == PANIC_SELECTOR:
            (code,) = decode(["uint256"], body)
            return f"Panic(0x{code:02x}: {PANIC_CODES.get(code, 'unknown panic code')})"
        known = _custom_errors().get(selector)
        if known is not None:
            name, names, types = known
            values = decode(list(types), body) if types else ()
            args = ", ".join(
                f"{n}={_render(v, t)}" if n else _render(v, t)
                for n, v, t in zip(names, values, types, strict=True)
            )
            return f"{name}({args})"
    except Exception:  # malformed payload for a known selector: fall through to raw hex
        pass
    return f"unknown error 0x{selector.hex()}" + (f" (data 0x{body.hex()})" if body else "")
