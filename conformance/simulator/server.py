"""Build the simulator for some apis, and serve it with uvicorn (`conformance simulate`)."""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Iterable

from conformance.loader.specs import spec_for
from conformance.model.spec import API_IDS
from conformance.simulator.app import SimulatorApp
from conformance.simulator.provider import Provider
from conformance.simulator.state import SimulatorConfig, SimulatorState

PROVIDERS = {
    "ackroo": "conformance.simulator.ackroo:AckrooProvider",
    "crmcom-webapi": "conformance.simulator.crmcom_webapi:WebApiProvider",
    "crmcom": "conformance.simulator.crmcom:CrmProvider",
    "antavo": "conformance.simulator.antavo:AntavoProvider",
}


def available_apis() -> tuple[str, ...]:
    """The apis whose provider module exists in this build."""
    found = []
    for api in API_IDS:
        module, _, _ = PROVIDERS[api].partition(":")
        if importlib.util.find_spec(module) is not None:
            found.append(api)
    return tuple(found)


def build_app(config: SimulatorConfig | None = None, apis: Iterable[str] | None = None) -> SimulatorApp:
    """The ASGI app serving `apis` (default: every api this build simulates)."""
    config = config or SimulatorConfig()
    state = SimulatorState(config)
    providers: dict[str, Provider] = {}
    for api in apis or available_apis():
        module_name, _, class_name = PROVIDERS[api].partition(":")
        cls = getattr(importlib.import_module(module_name), class_name)
        providers[api] = cls(spec_for(api), state)
    for api in providers:
        if config.fault_profiles:
            state.faults.named(api, config.fault_profiles)
    return SimulatorApp(state, providers)
