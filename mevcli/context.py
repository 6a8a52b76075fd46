"""The context every command receives: settings, and lazily the chain client, preset and market.

Nothing here is global: the CLI builds one `AppContext` per invocation and passes it down.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from mevcli.chain import light
from mevcli.chain.addresses import is_address, is_checksum_address, to_checksum_address
from mevcli.chain.multicall import MULTICALL3_ADDRESS, Multicall
from mevcli.config import Settings
from mevcli.devnet import manager
from mevcli.dex.registry import DexRegistry
from mevcli.errors import ChainMismatch, DevnetError, UnknownToken, UsageError
from mevcli.presets import ChainPreset, get_preset, preset_for_chain_id

if TYPE_CHECKING:
    from web3 import Web3

    from mevcli.backend import Backend
    from mevcli.cache import ReserveCache
    from mevcli.execution.landing import Landing

DEVNET = "devnet"


def parse_address(text: str, what: str = "address") -> str:
    """A checksummed address; mixed-case input must carry a valid EIP-55 checksum."""
    value = text.strip()
    if not is_address(value.lower()) or not value.startswith("0x"):
        raise UsageError(f"invalid {what} {text!r}: expected 0x followed by 40 hex digits")
    if value != value.lower() and value[2:] != value[2:].upper() and not is_checksum_address(value):
        raise UsageError(f"invalid {what} {text!r}: bad EIP-55 checksum")
    return to_checksum_address(value)


class AppContext:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.reads_only = False  # set by commands that only read: `w3` may then be a `LightRpc`

    def use_light_reads(self) -> None:
        """This command only reads the chain: serve it through `chain.light.LightRpc` (no web3 import)
        when the RPC URLs allow (one HTTP(S) URL). Call before anything touches `w3`."""
        self.reads_only = True

    # -- chain ----------------------------------------------------------------------------------
    @cached_property
    def rpc_url(self) -> str:
        """The first (preferred) configured RPC URL, or the embedded devnet (started on demand)."""
        if self.settings.rpc_urls:
            return self.settings.rpc_urls[0]
        if self.settings.chain not in (None, DEVNET):
            raise UsageError(f"no RPC URL for chain {self.settings.chain}: pass --rpc-url or set ETH_RPC_URL")
        return self.devnet.rpc_url

    @cached_property
    def devnet(self) -> manager.DevnetInfo:
        return manager.status(self.settings.cache_dir) or manager.up(self.settings.cache_dir)

    @cached_property
    def w3(self) -> Web3:
        urls = tuple(self.settings.rpc_urls or (self.rpc_url,))
        if self.reads_only and light.supports(urls):
            w3: Any = light.connect(urls[0], self.settings.rpc_timeout, self.settings.rpc_retries)
        else:
            from mevcli.chain.client import connect

            w3 = connect(urls, self.settings.rpc_timeout, self.settings.rpc_retries)
        if self.settings.chain:
            preset = get_preset(self.settings.chain)
            if w3.eth.chain_id != preset.chain_id:
                raise ChainMismatch(preset.chain_id, w3.eth.chain_id, preset.name)
        return w3

    @cached_property
    def chain_id(self) -> int:
        return self.w3.eth.chain_id

    @cached_property
    def preset(self) -> ChainPreset | None:
        if self.settings.chain:
            return get_preset(self.settings.chain)
        return preset_for_chain_id(self.chain_id)

    @property
    def is_devnet(self) -> bool:
        return self.preset is not None and self.preset.name == DEVNET

    @property
    def chain_config(self) -> dict[str, Any]:
        """The config's `[chains.NAME]` table for this chain's preset (empty when there is none)."""
        tables = self.settings.extra.get("chains", {})
        table = tables.get(self.preset.name) if self.preset is not None else None
        return table if isinstance(table, dict) else {}

    @cached_property
    def manifest(self) -> dict[str, Any] | None:
        """The devnet market's manifest when talking to a devnet node."""
        if not self.is_devnet:
            return None
        if self.settings.manifest:
            return manager.load_manifest(self.settings.manifest)
        if not self.settings.rpc_urls:
            return manager.load_manifest(self.devnet.manifest)
        # Any URL may reach the running devnet (another host name, ws://, a proxy, after a fail-over):
        # it is recognised by the node itself, not by the URL.
        running = manager.status(self.settings.cache_dir)
        if running is not None:
            manifest = manager.load_manifest(running.manifest)
            if manager.holds_market(self.w3, manifest, running):
                return manifest
        raise DevnetError(
            "no manifest for this devnet node (it is not the devnet `mevcli devnet up` runs for this cache "
            "dir): pass it with MEVCLI_MANIFEST or mevcli.toml"
        )

    @cached_property
    def multicall(self) -> Multicall:
        address = (self.manifest or {}).get("multicall3") or (
            self.preset.multicall3 if self.preset else MULTICALL3_ADDRESS
        )
        return Multicall(self.w3, address)

    @cached_property
    def backend(self) -> Backend:
        """Where the reserve cache, nonces, execution log and last scan live: the cache dir, or the Redis
        at `cache_url` (reached here first: one `Error:` line when it is down or refuses the password)."""
        from mevcli.backend import open_backend

        return open_backend(self.settings)

    @cached_property
    def reserve_cache(self) -> ReserveCache:
        """Pool states through the backend's cache (`<cache_dir>/reserves/<chain_id>` or the shared Redis),
        kept exact by events."""
        from mevcli.cache import ReserveCache

        return ReserveCache.open(
            self.backend, self.chain_id, self.w3, self.multicall, ttl=self.settings.cache_ttl
        )

    @cached_property
    def landing_mode(self) -> str:
        """How the node runs calls in the landing block (`execution/landing.py`), probed once."""
        from mevcli.execution.landing import probe_mode

        return probe_mode(self.w3)

    def landing(self) -> Landing:
        """The landing block over the current head: where simulations and pre-send checks run."""
        from mevcli.execution.landing import landing_block

        return landing_block(self.w3, self.landing_mode)

    @cached_property
    def dexes(self) -> DexRegistry:
        if self.manifest is not None:
            return DexRegistry.from_manifest(self.manifest)
        if self.preset is None:
            raise UsageError(f"chain id {self.chain_id} has no preset: pass --chain")
        from mevcli.dex.curve.discovery import with_curve_pools

        return with_curve_pools(DexRegistry.from_preset(self.preset), self)

    # -- tokens ---------------------------------------------------------------------------------
    @cached_property
    def token_symbols(self) -> dict[str, str]:
        """Upper-case symbol -> address, from the preset and the devnet manifest."""
        book: dict[str, str] = {}
        if self.preset is not None:
            book.update({s.upper(): a for s, a in self.preset.tokens.items()})
        if self.manifest is not None:
            book.update({s.upper(): a for s, a in self.manifest["tokens"].items()})
        return book

    def resolve_token(self, text: str) -> str:
        """An address, or a symbol this chain's preset / manifest knows."""
        if text.strip().lower().startswith("0x"):
            return parse_address(text, "token address")
        address = self.token_symbols.get(text.strip().upper())
        if address is None:
            known = ", ".join(sorted(self.token_symbols)) or "none"
            raise UnknownToken(f"unknown token {text!r} (known symbols: {known})")
        return to_checksum_address(address)

    def symbol_of(self, address: str) -> str:
        for symbol, known in self.token_symbols.items():
            if known.lower() == address.lower():
                return symbol
        return address
