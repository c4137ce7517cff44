"""What every provider client of the reference POS shares: requests built from the spec's paths, one
delivery policy (delivery.py), a queue of undelivered transactions, and errors a cashier can read."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, ClassVar
from urllib.parse import quote, urlencode

from conformance.core import jsonio
from conformance.core.exchange import HttpRequest, HttpResponse
from conformance.core.media import MediaError, card_number_from
from conformance.core.money import to_decimal
from conformance.loader.specs import spec_for
from conformance.pos.delivery import deliver, from_record, is_outage, to_record

Send = Callable[[HttpRequest], HttpResponse]
Result = dict[str, Any]


class Refused(Exception):
    """The provider said no (a 4xx, or the Web API's status.code): the till shows it, nothing is retried."""


class Unreachable(Exception):
    """The provider did not answer a request that cannot wait in the queue (a balance check)."""


class Queued(Exception):
    """The transaction could not be delivered now; it waits in the queue and is resent before the next action."""


def dec(value: Any) -> Decimal:
    return to_decimal(value) if value not in (None, "") else Decimal(0)


def money(value: Any) -> str:
    """A figure for the till's result: a decimal string with two places."""
    return f"{dec(value).quantize(Decimal('0.01'))}"


def card_of(medium: Mapping[str, Any]) -> str:
    """The card number read from what the customer presented (keyed, swiped, scanned)."""
    try:
        return card_number_from(str(medium.get("type")), str(medium.get("data", "")))
    except MediaError:
        return str(medium.get("data", "")).strip()  # a member id in a QR (Antavo) is not a card number


def line_total(line: Mapping[str, Any]) -> Decimal:
    return dec(line.get("price")) * dec(line.get("quantity", "1"))


def basket_total(lines: Any) -> Decimal:
    return sum((line_total(line) for line in lines or ()), Decimal(0))


class PosClient:
    """One provider as the till talks to it. `state` is plain JSON the till keeps between actions."""

    api: ClassVar[str]

    def __init__(self, state: dict[str, Any], send: Send) -> None:
        self.state = state
        self._send = send
        self.spec = spec_for(self.api)

    # --- what each api says for itself ---------------------------------------------------------

    def sign(self, request: HttpRequest) -> HttpRequest:
        return request

    def refused(self, response: HttpResponse) -> str | None:
        """The error the till shows for this answer, or None when it was accepted."""
        if response.status < 400:
            return None
        body = response.json()
        return f"{response.status} {jsonio.dumps(body) if body is not None else response.text[:200]}"

    def duplicate(self, response: HttpResponse) -> bool:
        """The answer says the transaction is already there (an earlier attempt was committed)."""
        return False

    def perform(self, action: Mapping[str, Any]) -> Result:
        handler = getattr(self, f"do_{action['action']}", None)
        if handler is None:
            raise Refused(f"{self.api} has no {action['action']} at this till")
        result: Result = handler(action)
        return result

    # --- the wire --------------------------------------------------------------------------------

    def build(self, operation_id: str, *, path: Mapping[str, str] | None = None, query: Mapping[str, Any] | None = None,
              body: Any = None, form: bool = False, headers: Mapping[str, str] | None = None) -> HttpRequest:
        operation = self.spec.operation(operation_id)
        where = operation.path
        for name, value in (path or {}).items():
            where = where.replace(f"{{{name}}}", quote(str(value), safe=""))
        if query:
            where += "?" + urlencode({k: str(v) for k, v in query.items() if v is not None})
        extra = dict(headers or {})
        if body is None:
            return HttpRequest(operation.method.upper(), where, extra)
        if form:
            return HttpRequest(operation.method.upper(), where,
                               {"content-type": "application/x-www-form-urlencoded", **extra},
                               urlencode({k: str(v) for k, v in body.items()}).encode())
        return HttpRequest.json(operation.method, where, body, extra)

    def call(self, operation_id: str, *, queue: bool = False, **parts: Any) -> HttpResponse:
        """Send and return the accepted answer; raise Refused, Queued or Unreachable otherwise."""
        request = self.build(operation_id, **parts)
        delivery = deliver(self._send, self.sign, request, self.duplicate)
        response = delivery.response
        if is_outage(response):
            if queue:
                self.state.setdefault("queue", []).append({"operation": operation_id, **to_record(request)})
                raise Queued(f"{self.api} did not answer; the transaction is queued and will be resent")
            raise Unreachable(f"{self.api} did not answer {operation_id}")
        assert response is not None
        if delivery.duplicate_on_retry:
            return response  # committed by an earlier attempt whose answer was lost: delivered once
        error = self.refused(response)
        if error is not None:
            raise Refused(error)
        return response

    def flush(self) -> list[str]:
        """Resend what is queued, oldest first; stop at the first outage (the provider is still down)."""
        errors: list[str] = []
        queue = self.state.get("queue", [])
        while queue:
            record = queue[0]
            delivery = deliver(self._send, self.sign, from_record(record), self.duplicate)
            if is_outage(delivery.response):
                break
            queue.pop(0)
            assert delivery.response is not None
            error = None if self.duplicate(delivery.response) else self.refused(delivery.response)
            if error:
                errors.append(f"queued {record['operation']} refused: {error}")
        return errors
