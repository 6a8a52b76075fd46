"""The interface every pool kind implements; `mevcli.dex.kinds` registers one instance per kind.

A kind is a protocol family with its own math and storage layout (Uniswap V2 pairs, Uniswap V3 pools,
Balancer V2 pools, Curve StableSwap pools). Forks of a kind (SushiSwap V2 is a Uniswap V2) are not kinds:
they are `dex.forks` entries naming their kind, plus whatever really differs, carried by the kind.

Everything outside a kind's own package asks the kind (`kinds.kind_of(state)`, `kinds.kind_named(name)`)
instead of testing state types or names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from mevcli.errors import UsageError

if TYPE_CHECKING:
    from mevcli.chain.multicall import Multicall
    from mevcli.dex.registry import DexInfo, PoolRef

Log = Mapping[str, Any]
# (emitter address, topic 1 as 0x hex or None): a log from `emitter` (whose topic 1 is that value)
# belongs to the pool. Balancer's Vault names the pool by its id in topic 1.
Route = tuple[str, str | None]
# amount in -> exact amount out of one hop in one direction (`PoolKind.exact_hop`).
HopQuoter = Callable[[int], int]
# (a, b, c): out ≈ a·y / (b + c·y) for an input y near the current price.
Mobius = tuple[int, int, int]
# (to, calldata) -> return data of an eth_call at the block in question.
EthCall = Callable[[str, bytes], bytes]


class Invalidate(Exception):
    """A log cannot be applied to a state exactly: the cached state must be dropped."""


class PoolKind:
    """One pool kind: reading, quoting, events, discovery, execution and costs of its pools.

    Subclasses set the class attributes and override what their kind has; the defaults are what a kind
    without that feature answers (no Möbius form, no flash loans, every log invalidates, ...).
    """

    name: ClassVar[str]  # DexInfo.kind of its DEXes ("uniswap_v2", ...)
    label: ClassVar[str]  # how messages name its pools ("Uniswap V3")
    state_types: ClassVar[tuple[type, ...]]  # the frozen state classes its reader returns
    hop_code: ClassVar[int | None]  # the executor's Hop.kind; None: the executor cannot swap its pools
    callbacks: ClassVar[tuple[str, ...]] = ()  # executor functions its pools call during a swap
    hop_gas: ClassVar[int] = 120_000  # gas units of one swap through the executor (before simulation)
    flash_gas: ClassVar[int | None] = None  # gas units of a flash loan from it; None: it lends none
    # Each pool lends its own tokens as a Uniswap V3 pool does (`flash`, fee = the pool's fee):
    # `flash.load_sources` makes them `uniswap_v3` sources, the executor's V3 loan. A kind that lends
    # another way needs its own source in `arbitrage/flash.py` and `calldata.LOAN_KINDS`, not this flag.
    # False: the kind lends through one contract (Balancer's Vault) or not at all.
    pools_lend: ClassVar[bool] = False
    # Topic 0 of the logs the cache fetches for its pools; None: every log of the routed emitters.
    event_topics: ClassVar[tuple[bytes, ...] | None] = None
    creation_topic: ClassVar[str | None] = None  # 0x topic 0 of the event announcing a new pool

    # -- reading -------------------------------------------------------------------------------------
    def read(self, mc: Multicall, refs: Sequence[PoolRef], block: int, window_ticks: int) -> Sequence[Any]:
        """States of `refs` at `block`, in one batched job (merged with other kinds' rounds)."""
        raise NotImplementedError

    def read_rounds(self, state: Any) -> list[int]:
        """Multicall3 sub-calls per round trip that reading `state` costs (cache statistics)."""
        raise NotImplementedError

    # Calldata of its pools' getters whose answers never change (token0(), fee(), ...): what identity read
    # of them is handed to the pool's first state read (`Multicall.remember`) instead of asked again.
    immutable_calls: ClassVar[tuple[bytes, ...]] = ()

    # Its pools answer factory(), token0(), token1() [, fee()] and its factory maps them back
    # (`identity_check`); otherwise the registry knows them another way (Balancer's Vault, Curve's list).
    identified_by_factory: ClassVar[bool] = False

    def identity_check(self, dex: DexInfo, probe: Sequence[Any]) -> bytes | None:
        """Calldata asking `dex.factory` for the pool with the probed tokens (and fee), or None when
        the probe (factory(), token0(), token1(), fee() results) does not fit this kind."""
        return None

    def lookup_call(
        self, dex: DexInfo, token_a: str, token_b: str, fee_text: str, text: str
    ) -> tuple[bytes, str]:
        """(calldata asking `dex.factory` for the pool of two tokens [and fee], the fee part of the name
        key) for `DEX:A/B[:FEE]` pool names; UsageError when the kind's pools are named by address."""
        raise UsageError(f"invalid pool {text!r}: name a {self.label} pool by its address")

    # -- pricing -------------------------------------------------------------------------------------
    def tokens(self, state: Any) -> tuple[str, ...]:
        return tuple(state.tokens)

    def quote(self, state: Any, token_in: str, amount_in: int, token_out: str | None) -> int:
        """Exact amount out of one hop, as the pool contract computes it (tokens already checked)."""
        raise NotImplementedError

    def chain_quote(
        self, call: EthCall, dex: DexInfo, state: Any, token_in: str, token_out: str, amount_in: int
    ) -> int:
        """The same quote asked of the DEX's own contracts (router, quoter, Vault query, pool)."""
        raise UsageError(f"--check is not supported for {dex.name} pools")

    def exact_hop(self, state: Any, token_in: str, token_out: str) -> HopQuoter | None:
        """A faster quoter of the same integers as `quote` for repeated amounts; None: use `quote`."""
        return None

    def cpmm(self, state: Any) -> tuple[int, int, int] | None:
        """(γ, x, y) when the pool trades near its price like a constant-product pair with fee
        (10⁶ − γ)/10⁶ and reserves x of token0, y of token1 (the cycle finder's log weights); (0, 0, 0)
        when it has no price or liquidity; None for kinds that do not."""
        return None

    def mobius(self, state: Any, token_in: str) -> Mobius | None:
        """(a, b, c) of the marginal behaviour at the current price, or None when there is none."""
        return None

    def upper_mobius(self, state: Any, token_in: str) -> Mobius | None:
        """(a, b, c) with a·y // (b + c·y) at least the pool's exact output for every input y (not only
        near the current price), or None when the kind has none (`arbitrage.profit_bound`)."""
        return None

    def marginal_rate(self, state: Any, token_in: str, token_out: str) -> tuple[int, int] | None:
        """(num, den): the rate at an infinitesimal amount, fee included, for a kind without a Möbius
        form (`arbitrage.bounds` bounds hops with it); (0, 1) when the pool cannot swap at all; None
        when the kind has none."""
        return None

    def unpriced(self, state: Any) -> str | None:
        """Why the pool cannot be priced exactly (scans leave it out), or None."""
        return None

    def depth(self, state: Any) -> dict[str, int]:
        """Token -> base units a trade can draw on near the current price (`--min-liquidity`)."""
        return dict(zip(self.tokens(state), state.balances, strict=True))

    def fee_pips(self, state: Any) -> int:
        """The swap fee in millionths."""
        return int(state.fee_pips)

    # -- events --------------------------------------------------------------------------------------
    def routes(self, state: Any) -> list[Route]:
        """Where this pool's logs come from."""
        return [(state.address, None)]

    def apply_log(self, state: Any, log: Log) -> Any:
        """`state` after `log`; raises (Invalidate or the kind's own error) when not exactly possible."""
        raise Invalidate(f"{type(state).__name__} has no event model")

    def pool_from_creation(self, log: Log) -> str:
        """The new pool's address in a `creation_topic` log."""
        raise NotImplementedError

    def creation_facts(self, log: Log) -> list[Any] | None:
        """What a `creation_topic` log states about the new pool that reading it needs and no storage
        slot holds (JSON-friendly, kept with discovery's progress); None: nothing."""
        return None

    def remember_creation(self, factory: str, pool: str, facts: list[Any]) -> None:
        """Take `creation_facts` kept from an earlier run (no RPC)."""

    # -- execution -----------------------------------------------------------------------------------
    def hop_fields(self, pool: str, token_in: str, token_out: str, info: Mapping[str, Any]) -> dict[str, Any]:
        """The executor Hop's kind-specific fields from `pool_info` (raises CalldataError)."""
        return {}

    def pool_info(self, ref: PoolRef, state: Any) -> dict[str, Any]:
        """What `hop_fields` needs about one pool, from its registry entry and state."""
        return {}
