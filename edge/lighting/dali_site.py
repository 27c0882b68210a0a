"""DALI control gear behind LUBA gateways as lighting hardware: one runner per gateway, gateways in parallel."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from drivers.dali.dimming import percent_to_arc
from edge.contract.lighting import DALI_GATEWAY, LUMINAIRE, LuminaireState
from edge.contract.payloads import DeviceDescription
from edge.lighting.dali_gateway_runner import DaliGatewayRunner
from edge.lighting.hardware import ApplyResult, Hardware, Listener, Placement, Summary
from edge.lighting.settings import DaliGatewaySettings, GearRef
from edge.services.base import ServiceContext


class DaliSite(Hardware):
    """Every DALI gear of this node's zones."""

    kind = "dali"

    def __init__(
        self,
        ctx: ServiceContext,
        gateways: Sequence[DaliGatewaySettings],
        gear: Sequence[GearRef],
        placement: Mapping[str, Placement],
        listener: Listener,
    ) -> None:
        self.placement = placement
        self.ref_of = {ref.device_id: ref for ref in gear}
        self.runners = {
            gw.id: DaliGatewayRunner(ctx, gw, [r for r in gear if r.gateway == gw.id], placement, listener)
            for gw in gateways
        }

    def luminaires(self) -> list[str]:
        return list(self.ref_of)

    def descriptions(self) -> list[DeviceDescription]:
        out = [
            DeviceDescription(
                id=runner.id,
                kind=DALI_GATEWAY,
                label=runner.label,
                location=runner.settings.location,
                capabilities={"lines": runner.settings.lines, "gear": len(runner.gear)},
            )
            for runner in self.runners.values()
        ]
        for lum, ref in self.ref_of.items():
            runner = self.runners[ref.gateway]
            out.append(
                DeviceDescription(
                    id=lum,
                    kind=LUMINAIRE,
                    label=f"{runner.label} line {ref.line} gear {ref.short}",
                    location=self.placement[lum].location,
                    capabilities={
                        "hardware": "dali",
                        "zone": self.placement[lum].zone,
                        "gateway": ref.gateway,
                        "line": ref.line,
                        "short": ref.short,
                        "rated_w": runner.settings.rated_w,
                    },
                )
            )
        return out

    async def start(self) -> None:
        for runner in self.runners.values():
            await runner.start()

    async def stop(self) -> None:
        await asyncio.gather(*(r.stop() for r in self.runners.values()))

    async def ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(r.connected for r in self.runners.values()):
                return
            await asyncio.sleep(0.05)

    def _by_gateway(self, luminaires: Sequence[str]) -> dict[str, list[GearRef]]:
        out: dict[str, list[GearRef]] = {}
        for lum in luminaires:
            ref = self.ref_of[lum]
            out.setdefault(ref.gateway, []).append(ref)
        return out

    async def _each(self, luminaires: Sequence[str], level: int, individually: bool) -> ApplyResult:
        parts = await asyncio.gather(
            *(
                self.runners[gw].apply(refs, level, individually=individually)
                for gw, refs in self._by_gateway(luminaires).items()
            )
        )
        result = ApplyResult(level)
        for part in parts:
            result = result.merge(part)
        return result

    async def apply(self, luminaires: Sequence[str], level: int, fade_ms: int, tag: str) -> ApplyResult:
        # DAPC fades with the fade time stored in the gear; a per-command fade would need configuration frames.
        return await self._each(luminaires, level, individually=False)

    async def resend(self, luminaires: Sequence[str], level: int, tag: str) -> ApplyResult:
        return await self._each(luminaires, level, individually=True)

    async def requery(self, luminaires: Sequence[str]) -> None:
        await asyncio.gather(*(self.runners[gw].requery(refs) for gw, refs in self._by_gateway(luminaires).items()))

    def reachable(self, luminaire: str) -> bool:
        ref = self.ref_of[luminaire]
        return self.runners[ref.gateway].reachable(ref)

    def at_level(self, luminaire: str, level: int) -> bool:
        ref = self.ref_of[luminaire]
        # compare as arc levels: whole percents above ~36 % are finer than the curve's steps
        return self.runners[ref.gateway].gear[ref].arc == percent_to_arc(level)

    def state(self, luminaire: str) -> LuminaireState | None:
        ref = self.ref_of[luminaire]
        return self.runners[ref.gateway].luminaire_state(ref)

    def summarise(self, luminaires: Sequence[str], commanded: int | None) -> Summary:
        # A gear at the commanded arc level counts as at the commanded percent: the curve's steps are coarser
        # than whole percents above ~36 % (50 % and 51 % are both arc 229), so the zone reports what was asked.
        out = super().summarise(luminaires, commanded)
        if commanded is not None and out.lowest is not None:
            levels = [
                commanded if self.at_level(lum, commanded) else st.level
                for lum in luminaires
                if (st := self.state(lum)) is not None and st.online and st.level is not None
            ]
            out.lowest = min(levels, default=None)
        return out

    def energy_input(self, luminaire: str) -> tuple[Literal["meter", "power"], float | None]:
        st = self.state(luminaire)
        return "power", (st.power_w if st else None)

    def extra_states(self) -> dict[str, tuple[str, dict[str, Any]]]:
        return {gw: (DALI_GATEWAY, runner.gateway_state()) for gw, runner in self.runners.items()}

    def health(self) -> dict[str, Any]:
        return {
            "dali_gateways": len(self.runners),
            "dali_gateways_connected": sum(1 for r in self.runners.values() if r.connected),
            "dali_gear": len(self.ref_of),
            "dali_gear_answering": sum(1 for r in self.runners.values() for g in r.gear.values() if g.online),
        }
