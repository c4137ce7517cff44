"""What every simulated provider supplies: auth, its error shape, its handlers, fixtures and reset.

The request pipeline (`app.py`) is shared; a provider only says what is particular to its api.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from conformance.model.spec import ApiSpec, Operation

if TYPE_CHECKING:
    from conformance.simulator.state import SimulatorState


class ProviderError(Exception):
    """A refusal in the provider's own terms: rendered by the provider's `error_reply`."""

    def __init__(self, status: int, code: str, message: str, parameters: Any = None) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.parameters = parameters
        super().__init__(f"{status} {code}: {message}")


@dataclass
class Call:
    """One incoming request, parsed and validated, as a handler sees it."""

    api: str
    operation: Operation
    method: str
    path: str
    """Path relative to the api's base URL (what the spec's paths describe)."""
    wire_path: str
    """Path as sent on the wire, prefix included (what Escher signatures cover)."""
    query_string: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    """Lower-cased names."""
    path_params: Mapping[str, str]
    params: Mapping[str, Any]
    media: str | None
    body: Any
    raw_body: bytes
    principal: Any = None


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Call], Reply]


class Provider(ABC):
    """Base of the four simulated providers."""

    api: str
    prefix_params: frozenset[str] = frozenset()
    """Parameters the pipeline must not validate as data (auth carried as a query parameter)."""

    def __init__(self, spec: ApiSpec, state: SimulatorState) -> None:
        self.spec = spec
        self.state = state

    @property
    @abstractmethod
    def handlers(self) -> Mapping[str, Handler]:
        """operationId -> handler; every operation of the spec must have one."""

    @abstractmethod
    def error_reply(self, status: int, code: str, message: str, parameters: Any = None) -> Reply:
        """The provider's documented error body (and HTTP status) for a refusal."""

    def bad_request(self, problems: list[str]) -> Reply:
        """A request that breaks the spec: 400 in the provider's shape, nothing changed."""
        return self.error_reply(400, "InvalidRequest", "; ".join(problems))

    def bad_request_for(self, operation: Operation, problems: list[str]) -> Reply:
        """`bad_request` for one operation (a provider whose error shape differs by operation overrides it)."""
        return self.bad_request(problems)

    def authenticate(self, call: Call) -> Any:
        """Return the caller's principal or raise ProviderError (401/403). Runs before schema validation."""
        return None

    def prepare(self, call: Call) -> None:  # noqa: B027 - optional hook
        """Adjust a parsed request before validation (e.g. lift a body token out of the data)."""

    @abstractmethod
    def apply_fixtures(self, fixtures: Mapping[str, Any]) -> dict[str, Any]:
        """Load the body of POST /_control/fixtures; raise ProviderError(400, ...) on a bad fixture."""

    @abstractmethod
    def reset(self) -> None:
        """Empty this api's state."""

    def trigger(self, event: str, data: Mapping[str, Any]) -> dict[str, Any]:
        """POST /_control/trigger: something a customer does elsewhere (orders, vouchers, OTPs)."""
        raise ProviderError(400, "UnknownEvent", f"{self.api} has no trigger {event!r}")

    async def startup(self) -> None:  # noqa: B027 - optional hook
        """Start background work (webhook delivery)."""

    async def shutdown(self) -> None:  # noqa: B027 - optional hook
        """Stop background work."""
