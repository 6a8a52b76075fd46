"""An arbitrage opportunity as the scanner reports it, and its stable id."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass

# Ids already computed in this process: a scan finds most of the last scan's routes again (`watch`
# re-finds the same cycles every block). Bounded: emptied when full.
_IDS: dict[tuple[int, tuple[str, ...], tuple[str, ...]], str] = {}
_IDS_KEPT = 1 << 17


def opportunity_id(chain_id: int, tokens: tuple[str, ...], pools: tuple[str, ...]) -> str:
    """Stable for the same route (chain, pools and direction), whatever the amounts or block."""
    key = (chain_id, tokens, pools)
    known = _IDS.get(key)
    if known is None:
        text = f"{chain_id}:{','.join(tokens)}:{','.join(pools)}".lower()
        known = hashlib.sha256(text.encode()).hexdigest()[:16]
        if len(_IDS) >= _IDS_KEPT:
            _IDS.clear()
        _IDS[key] = known
    return known


@dataclass(frozen=True, slots=True, kw_only=True)
class Opportunity:
    id: str
    chain_id: int
    block: int
    base_token: str
    tokens: tuple[str, ...]  # first == last
    pools: tuple[str, ...]
    dexes: tuple[str, ...]
    hop_amounts: tuple[int, ...]  # amount out of each hop
    amount_in: int
    amount_out: int
    profit: int  # amount_out − amount_in
    flash_source: str
    flash_lender: str
    flash_fee: int
    gas_units: int
    gas_price: int  # wei per gas
    gas_cost: int  # in base-token units: L2 execution gas, plus l1_fee
    net_profit: int  # profit − flash_fee − gas_cost
    l1_fee: int = 0  # the rollup's L1 data fee for the executor call, in base-token units (in gas_cost)

    def to_json(self) -> dict:
        data = asdict(self)
        for key in ("tokens", "pools", "dexes", "hop_amounts"):
            data[key] = list(data[key])
        return data

    @classmethod
    def from_json(cls, data: dict) -> Opportunity:
        values = dict(data)
        for key in ("tokens", "pools", "dexes", "hop_amounts"):
            values[key] = tuple(values[key])
        return cls(**values)
