# pragma version ~=0.4.3
# pragma evm-version cancun
# pragma optimize gas
"""
@title CurvePoolRegistry
@notice mevcli's devnet stand-in for the listing every Curve registry and factory offers:
        `pool_count()` and `pool_list(i)`. The owner adds pools; mevcli discovers Curve pools from it
        on the devnet the way it does from Curve's registries and factories on real chains. Devnet only.
"""

MAX_POOLS: constant(uint256) = 4096

owner: public(immutable(address))
pool_list: public(DynArray[address, MAX_POOLS])

event PoolAdded:
    pool: indexed(address)


@deploy
def __init__():
    owner = msg.sender


@view
@external
def pool_count() -> uint256:
    return len(self.pool_list)


@external
def add_pool(_pool: address):
    assert msg.sender == owner, "owner only"
    assert _pool != empty(address), "zero pool"
    self.pool_list.append(_pool)
    log PoolAdded(pool=_pool)
