"""The judge of POS certification: what a POS sent for one scenario step, and what its till showed, against
the spec, the scenario and the provider's own answers.

Its input is the list of exchanges the POS sent while it performed one driver action, in the shape the
simulator's ``GET /_control/exchanges`` serves (wire.py); recorded traffic (HAR, cassettes, pacts) is
converted to that shape first. Its output is findings with stable check ids (CHECKS); each names the step,
the field, the cashier's words and the scenario's requirements.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import unquote

from conformance.core.media import MediaError, card_number_from
from conformance.core.redact import mask_card, redact
from conformance.model.result import Finding, Verdict
from conformance.model.scenario import Step, thaw
from conformance.model.spec import ApiSpec
from conformance.model.template import MISSING, dig, render
from conformance.runner.pos import wire

CHECKS = {
    "pos.sent": "the request a step needs was sent",
    "pos.once": "a transaction was delivered once, not twice",
    "pos.request-valid": "the request is valid against the provider's spec",
    "pos.request-field": "the request carries what the cashier rang up (lines, money, tenders, references)",
    "pos.card": "the card number was read correctly from the medium presented",
    "pos.reference": "the POS's own reference was sent as the action gave it",
    "pos.refused": "the provider accepted what the step expects it to accept",
    "pos.error-shown": "the till showed an error when the provider refused",
    "pos.figure": "a figure the till showed equals the provider's",
    "pos.driver": "the driver performed the action",
    "pos.retry-4xx": "a request the provider refused (4xx) is not resent unchanged",
    "pos.queued": "a transaction that met an outage is delivered once the provider is back",
}
"""Stable check ids of POS certification (reports, mutants and the web console name them)."""

READS = frozenset({"cardBalanceCheck", "webApiRewardsParticipantShow", "webApiPurchasePreview", "antavoPointsPreview",
                   "webApiLogin", "webApiKeyLogin", "oauthToken"})
"""POSTs that change nothing: sending them twice is not a double delivery."""

SAME_AS = {"cardBalanceCheck": "cardBalanceQuery", "webApiKeyLogin": "webApiLogin"}
"""Documented alternatives: either operation does what the step needs."""

_BALANCE = frozenset({"cardBalanceQuery", "cardBalanceCheck"})
ACTION_OPERATIONS: dict[str, dict[str, frozenset[str]]] = {
    "ackroo": {"configure": frozenset({"oauthToken", "deviceRegister"}), "identify": _BALANCE, "balance": _BALANCE,
               "sale": frozenset({"loyaltyCreditMulti", "loyaltyDebitPartial", "giftDebitPartial"}),
               "refund": frozenset({"loyaltyRefundMulti"}), "gift_load": frozenset({"giftCredit"}),
               "reverse": frozenset({"transactionReversal"}), "void": frozenset({"transactionVoid"})},
    "crmcom-webapi": {"configure": frozenset({"webApiLogin", "webApiKeyLogin"}),
                      "identify": frozenset({"webApiRewardsParticipantShow"}),
                      "balance": frozenset({"webApiRewardsParticipantShow"}),
                      "sale": frozenset({"webApiPurchasePreview", "webApiPurchaseCreate", "webApiSpendRequestCreate"}),
                      "void": frozenset({"webApiPurchaseCancel"})},
    "crmcom": {"identify": frozenset({"crmCustomerSearch"}), "balance": frozenset({"crmCustomerSearch"}),
               "sale": frozenset({"crmPurchaseCreate"}), "refund": frozenset({"crmPurchaseAdHocReturn"}),
               "void": frozenset({"crmPurchaseCancel"}), "sync_products": frozenset({"crmProductsSynchronise"}),
               "order": frozenset({"crmOrderList", "crmOrderCancellationReasonList", "crmOrderAction"})},
    "antavo": {"identify": frozenset({"antavoGetCustomer", "antavoPostEvent"}),
               "balance": frozenset({"antavoGetCustomer"}),
               "sale": frozenset({"antavoPostEvent", "antavoPointsPreview"}), "refund": frozenset({"antavoPostEvent"})},
}
"""What each driver action may send, per api: the scenario steps after a `pos` step that these operations
make (and that expect success) are the same action's requests (the Web API sale previews, creates, spends)."""

LINES: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    # api: (list path, key fields, money fields); Ackroo's parallel lists are zipped into lines first
    "ackroo": ("$lines", ("sku_id_list", "dept_id_list"), ("price_list", "quantity_list")),
    "crmcom": ("products", ("product_sku",), ("quantity", "net_amount", "tax_amount", "total_amount")),
    "crmcom-webapi": ("products_set", ("product_identifier.code",), ("quantity", "total_amount", "net_amount",
                                                                      "vat_amount")),
    "antavo": ("data.items", ("product_id",), ("price", "quantity", "discount", "subtotal")),
}
DEFAULTS = {"quantity": Decimal(1), "discount": Decimal(0)}
"""A line field left out means this (CRM.COM's quantity defaults to 1)."""

FIELDS: dict[str, tuple[str, ...]] = {
    "ackroo": ("device_id", "amount", "transaction_number", "tender_type_list"),
    "crmcom": ("spend_request.amount", "spend_request.alternative_amount", "spend_request.otp", "total_amount",
               "net_amount", "classification.code", "action", "cancellation_reason_id"),
    "crmcom-webapi": ("spend_amount", "customer_event_identifier.number",
                      "purchase_customer_request_identifier.number"),
    "antavo": ("customer", "action", "data.total", "data.points_burned"),
}
"""Request fields that must equal the scenario's where the scenario sends them (money as Decimal)."""

QUERY_FIELDS = {"ackroo": ("device_id", "cardnumber"), "crmcom": ("cim",)}
CARD_FIELDS = {"ackroo": ("cardnumber",), "crmcom": ("cim",),
               "crmcom-webapi": ("rewards_participant_identifier.access_token_identifier.authentication_code",),
               "antavo": ("customer",)}
REFERENCE_FIELDS = {"crmcom": "reference_number", "crmcom-webapi": "reference_number", "antavo": "data.transaction_id"}

FIGURES: dict[str, dict[str, tuple[tuple[str, str], ...]]] = {
    "ackroo": {"award": (("loyaltyCreditMulti", "amount_funded"),),
               "balance": (("loyaltyCreditMulti", "el_balance"), ("loyaltyDebitPartial", "el_balance"),
                           ("cardBalanceQuery", "loyalty"), ("cardBalanceCheck", "loyalty")),
               "gift_balance": (("giftCredit", "gc_balance"), ("giftDebitPartial", "gc_balance"),
                                ("cardBalanceQuery", "gift"), ("cardBalanceCheck", "gift"),
                                ("transactionReversal", "gc_balance"), ("transactionVoid", "gc_balance")),
               "spent": (("loyaltyDebitPartial", "amount_redeemed"), ("giftDebitPartial", "amount_redeemed"))},
    "crmcom-webapi": {"award": (("webApiPurchaseCreate", "data.total_awarded_amount"),),
                      "balance": (("webApiRewardsParticipantShow", "data.wallet.balance"),),
                      "spent": (("webApiSpendRequestCreate", "data.spend_reward_transaction.total_amount"),)},
    "crmcom": {"award": (("crmPurchaseCreate", "total_award_amount"),),
               "spent": (("crmPurchaseCreate", "total_spend_amount"),)},
    "antavo": {"balance": (("antavoGetCustomer", "spendable"), ("antavoPostEvent", "spendable")),
               "award": (("antavoPointsPreview", "purchase.base"),)},
}
"""Figures a till shows and where the provider said them: (operation, dotted path in its answer)."""


@dataclass
class Judgement:
    """What the judge concluded about one step: every check as a verdict, the values the step captures
    (from the POS's own exchanges, for later steps' templates), and the exchanges it was judged on."""

    verdicts: list[Verdict] = field(default_factory=list)
    captures: dict[str, Any] = field(default_factory=dict)
    exchanges: list[Mapping[str, Any]] = field(default_factory=list)

    @property
    def findings(self) -> list[Finding]:
        return [verdict.finding for verdict in self.verdicts if verdict.finding is not None]


def judge_step(api: str, spec: ApiSpec, step: Step, exchanges: Sequence[Mapping[str, Any]], *,
               action: Mapping[str, Any] | None = None, reported: Mapping[str, Any] | None = None,
               companions: Sequence[Step] = (), resolve: Callable[[str], Any] | None = None,
               requirements: Sequence[str] = ()) -> Judgement:
    """Judge what a POS did for one scenario step.

    `exchanges`: what the POS sent while it performed the step's action (the /_control/exchanges shape);
    `action`: the action it was given (templates filled in; default the step's own); `reported`: the
    result its driver printed (None: nothing reported); `companions`: the scenario's following steps the
    same action makes (a Web API sale's create and spend); `resolve`: fills `{{name}}` templates of the
    expected requests (captures of earlier steps; None: templates are left unjudged). Returns a Judgement;
    a non-conformance is a finding in it, never an exception.
    """
    judge = _Judge(api, spec, step, list(exchanges), dict(action if action is not None else
                                                          thaw(step.pos.action) if step.pos else {}),
                   reported, resolve, tuple(requirements))
    for judged in (step, *companions):
        judge.request(judged)
    judge.figures()
    return judge.result


class _Judge:
    def __init__(self, api: str, spec: ApiSpec, step: Step, exchanges: list[Mapping[str, Any]],
                 action: dict[str, Any], reported: Mapping[str, Any] | None,
                 resolve: Callable[[str], Any] | None, requirements: tuple[str, ...]) -> None:
        self.api, self.spec, self.step, self.exchanges = api, spec, step, exchanges
        self.action, self.reported, self.resolve, self.requirements = action, reported, resolve, requirements
        self.cashier = step.pos.cashier.strip() if step.pos else step.title
        self.result = Judgement(exchanges=exchanges)

    # --- verdicts ------------------------------------------------------------------------------

    def passed(self, label: str) -> None:
        self.result.verdicts.append(Verdict(label))

    def failed(self, check: str, label: str, message: str, *, step: Step | None = None, field_name: str | None = None,
               expected: Any = None, actual: Any = None) -> None:
        step = step or self.step
        where = f"step {step.id}" + (f", field {field_name}" if field_name else "")
        text = f"{where}: {message} (cashier: {self.cashier!r}; requirement: {CHECKS[check]})"
        self.result.verdicts.append(Verdict(label, Finding(check, text, expected=expected, actual=actual,
                                                           step_id=step.id, requirements=self.requirements,
                                                           field=field_name)))

    # --- requests ------------------------------------------------------------------------------

    def _sent(self, operation: str) -> list[Mapping[str, Any]]:
        wanted = SAME_AS.get(operation, operation)
        return [e for e in self.exchanges if SAME_AS.get(str(e.get("operation_id")), e.get("operation_id")) == wanted]

    def request(self, step: Step) -> None:
        if step.control:
            return
        sent = self._sent(step.operation)
        label = f"{step.operation} sent"
        if not sent:
            operation = self.spec.operation(step.operation)
            self.failed("pos.sent", label, f"the POS never sent {step.operation} "
                        f"({operation.method.upper()} {operation.path})",
                        step=step, expected=step.operation, actual=sorted({str(e.get('operation_id')) for e in
                                                                            self.exchanges}))
            return
        self.passed(label)
        accepted = [e for e in sent if not wire.refused(self.api, e)]
        taken = [e for e in sent if wire.committed(self.api, e)]
        if step.operation not in READS and self.spec.operation(step.operation).method.upper() != "GET" \
                and len(taken) > 1:
            self.failed("pos.once", f"{step.operation} delivered once", f"the provider took {step.operation} "
                        f"{len(taken)} times for one action: the transaction was delivered more than once",
                        step=step, expected=1, actual=len(taken))
        entry = (accepted or sent)[-1]
        self.result.captures.update(self._captures(step, entry))
        self._valid(step, entry)
        self._outcome(step, entry)
        expected = self._expected(step) if entry.get("operation_id") == step.operation else None
        if expected is not None:  # (a documented alternative, such as GET for POST /device/card, has its own shape)
            self._fields(step, entry, expected)
        if step is self.step:
            self._card(step, entry)
            self._reference(step, sent)

    def _captures(self, step: Step, entry: Mapping[str, Any]) -> dict[str, Any]:
        body = wire.response_body(entry)
        found = {name: dig(body, dotted) for name, dotted in step.capture.items()}
        return {name: value for name, value in found.items() if value is not MISSING}

    def _valid(self, step: Step, entry: Mapping[str, Any]) -> None:
        problems = wire.request_problems(self.spec, step.operation, wire.request_body(entry))
        label = f"{step.operation} request valid against the spec"
        if not problems:
            self.passed(label)
        for where, problem in problems[:5]:
            self.failed("pos.request-valid", label, f"{step.operation} request breaks the spec: {problem}",
                        step=step, field_name=where)

    def _outcome(self, step: Step, entry: Mapping[str, Any]) -> None:
        expects_refusal = step.expect.status >= 400 or step.expect.error is not None
        refused = wire.refused(self.api, entry)
        if not expects_refusal and refused:
            self.failed("pos.refused", f"{step.operation} accepted", f"the provider refused the POS's "
                        f"{step.operation} with {wire.status(entry)}: {str(redact(wire.response_body(entry)))[:300]}",
                        step=step, expected=step.expect.status, actual=wire.status(entry))
        elif expects_refusal and refused and step is self.step and self.reported is not None \
                and self.reported.get("ok") is not False:
            self.failed("pos.error-shown", "the till showed the refusal", "the provider refused the request "
                        "but the till did not show an error (result without \"ok\": false)", step=step,
                        expected={"ok": False}, actual=dict(self.reported))
        else:
            self.passed(f"{step.operation} answered as the step expects")

    def _expected(self, step: Step) -> Mapping[str, Any] | None:
        if self.resolve is None:
            return None
        try:
            rendered = render({"body": thaw(step.request.body), "query": thaw(step.request.query),
                               "path": thaw(step.request.path)}, self.resolve)
        except LookupError as exc:
            self.passed(f"{step.operation} fields not compared: {exc}")
            return None
        return rendered if isinstance(rendered, Mapping) else None

    def _fields(self, step: Step, entry: Mapping[str, Any], expected: Mapping[str, Any]) -> None:
        body, actual_body = expected.get("body"), wire.request_body(entry)
        if isinstance(body, Mapping):
            for name in FIELDS.get(self.api, ()):
                self._same(step, name, dig(body, name), dig(actual_body, name) if isinstance(actual_body, Mapping)
                           else MISSING)
            self._lines(step, body, actual_body)
        actual_query = wire.query(entry)
        for name in QUERY_FIELDS.get(self.api, ()):
            wanted = (expected.get("query") or {}).get(name, MISSING)
            self._same(step, f"query {name}", wanted, actual_query.get(name, MISSING), key=name)
        for name, value in (expected.get("path") or {}).items():
            if "{{" not in str(step.request.path.get(name, "")):
                continue  # a literal id the scenario's POS chose itself (a purchase's own id): not the POS's duty
            shown = redact(str(value), name)
            label = f"path parameter {name}"
            if f"/{shown}" in unquote(wire.path(entry)):
                self.passed(label)
            else:
                self.failed("pos.request-field", label, f"the path should name {shown}", step=step, field_name=name,
                            expected=shown, actual=wire.path(entry))

    def _same(self, step: Step, name: str, wanted: Any, actual: Any, key: str | None = None) -> None:
        if wanted is MISSING:
            return
        label = f"{step.operation} {name}"
        wanted = redact(wanted, key or name.rsplit(".", 1)[-1])
        if actual is MISSING:
            self.failed("pos.request-field", label, "missing from the request", step=step, field_name=name,
                        expected=wanted, actual=None)
        elif _equal(wanted, actual):
            self.passed(label)
        else:
            self.failed("pos.request-field", label, f"expected {_show(wanted)}, the POS sent {_show(actual)}",
                        step=step, field_name=name, expected=wanted, actual=actual)

    def _lines(self, step: Step, expected: Mapping[str, Any], actual: Any) -> None:
        where, keys, amounts = LINES[self.api]
        wanted = _line_items(self.api, expected)
        if wanted is None:
            return
        got = _line_items(self.api, actual) if isinstance(actual, Mapping) else None
        label = f"{step.operation} line items"
        if got is None:
            self.failed("pos.request-field", label, "the request has no line items", step=step, field_name=where,
                        expected=_show_lines(wanted), actual=None)
        elif Counter(wanted) == Counter(got):
            self.passed(label + " (any order)")
        else:
            self.failed("pos.request-field", label, f"line items differ (compared in any order, money as Decimal; "
                        f"{', '.join(keys + amounts)}): expected {_show_lines(wanted)}, the POS sent "
                        f"{_show_lines(got)}", step=step, field_name=where, expected=_show_lines(wanted),
                        actual=_show_lines(got))

    def _card(self, step: Step, entry: Mapping[str, Any]) -> None:
        medium = self.action.get("medium") or (self.action.get("customer") or {}).get("medium")
        if not isinstance(medium, Mapping):
            return
        try:
            number = card_number_from(str(medium.get("type")), str(medium.get("data", "")))
        except MediaError:
            number = str(medium.get("data", "")).strip()
        body, query = wire.request_body(entry), wire.query(entry)
        for name in CARD_FIELDS.get(self.api, ()):
            sent = dig(body, name) if isinstance(body, Mapping) else MISSING
            if sent is MISSING:
                sent = query.get(name.rsplit(".", 1)[-1], MISSING)
            if sent is MISSING and self.api == "antavo" and number in unquote(wire.path(entry)):
                sent = number
            if sent is MISSING or sent == "***":
                continue
            shown = mask_card(number) if wire.masked(sent) else number
            label = f"card number read from the {medium.get('type')}"
            if str(sent) in (shown, f"{{external_id:{shown}}}"):  # Antavo names a member by id or external id
                self.passed(label)
            else:
                self.failed("pos.card", label, f"the card number read from the {medium.get('type')} should be "
                            f"{shown}, the POS sent {sent}", step=step, field_name=name, expected=shown, actual=sent)

    def _reference(self, step: Step, sent: list[Mapping[str, Any]]) -> None:
        reference, name = self.action.get("reference"), REFERENCE_FIELDS.get(self.api)
        if not isinstance(reference, str) or name is None or self.action.get("action") not in ("sale", "refund"):
            return
        label = f"reference {reference} sent on every attempt"
        for entry in sent:
            body = wire.request_body(entry)
            value = dig(body, name) if isinstance(body, Mapping) else MISSING
            if value is not MISSING and str(value) != reference:
                self.failed("pos.reference", label, f"the POS sent reference {value} where the sale's "
                            f"reference is {reference}", step=step, field_name=name, expected=reference, actual=value)
                return
        self.passed(label)

    # --- figures the till showed ---------------------------------------------------------------

    def figures(self) -> None:
        receipt = self.action.get("receipt")
        if isinstance(receipt, Mapping):  # the printed codes are the step's whole point: they must be shown
            reported = self.reported if isinstance(self.reported, Mapping) else {}
            shown = reported.get("receipt") if isinstance(reported.get("receipt"), Mapping) else {}
            for kind, payload in receipt.items():
                self._figure(f"receipt {kind}", (shown or {}).get(kind), payload, money=False)
        if not isinstance(self.reported, Mapping) or self.reported.get("ok") is False:
            return
        table = FIGURES.get(self.api, {})
        for figure, value in self.reported.items():
            provider = self._provider_figure(table.get(figure, ()))
            if provider is MISSING:
                continue
            self._figure(figure, value, provider)
        if "amount_due" in self.reported:
            due = self._amount_due()
            if due is not None:
                self._figure("amount_due", self.reported["amount_due"], due)

    def _provider_figure(self, sources: tuple[tuple[str, str], ...]) -> Any:
        for operation, dotted in sources:
            for entry in reversed(self.exchanges):
                if entry.get("operation_id") == operation and not wire.refused(self.api, entry):
                    value = dig(wire.response_body(entry), dotted)
                    if value is not MISSING and value is not None:
                        return value
        return MISSING

    def _amount_due(self) -> Decimal | None:
        lines = self.action.get("lines")
        if not lines or not self.action.get("redeem"):
            return None
        total = sum((_dec(line.get("price")) * _dec(line.get("quantity", "1")) - _dec(line.get("discount", "0"))
                     for line in lines), Decimal(0))
        spent = self._provider_figure(FIGURES.get(self.api, {}).get("spent", ()))
        if self.api == "antavo":
            spent = self.action["redeem"].get("amount", "0")  # points pay 1.00 each (seed 004's checkout)
        if spent is MISSING:
            return None
        if self.api == "crmcom-webapi" and self._provider_figure((("webApiSpendRequestCreate", "data.reduction_method"),
                                                                   )) == "BACK_END_REDUCTION":
            return total  # the back end credits the customer later; the till collects the full amount
        return total - _dec(spent)

    def _figure(self, figure: str, shown: Any, provider: Any, money: bool = True) -> None:
        label = f"the till shows {figure} as the provider says"
        if shown is None:
            self.failed("pos.figure", label, f"the till did not show the {figure} ({_show(provider)})",
                        field_name=figure, expected=provider, actual=None)
        elif (_equal(shown, provider) if money else str(shown) == str(provider)):
            self.passed(label)
        else:
            self.failed("pos.figure", label, f"the till shows {figure} {_show(shown)}, the provider says "
                        f"{_show(provider)}", field_name=figure, expected=provider, actual=shown)


def _dec(value: Any) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal(0)
    except InvalidOperation:
        return Decimal(0)


def _as_decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _equal(wanted: Any, actual: Any) -> bool:
    """JSON equality with exact money: values that read as decimals on both sides compare as Decimal."""
    if isinstance(wanted, list) and isinstance(actual, list):
        return len(wanted) == len(actual) and all(_equal(a, b) for a, b in zip(wanted, actual, strict=True))
    if isinstance(wanted, Mapping) and isinstance(actual, Mapping):
        return wanted.keys() == actual.keys() and all(_equal(wanted[k], actual[k]) for k in wanted)
    left, right = _as_decimal(wanted), _as_decimal(actual)
    if left is not None and right is not None and not (_code(wanted) or _code(actual)):
        return left == right
    return bool(wanted == actual)


def _code(value: Any) -> bool:
    """A code that only looks like a number ("0103", "01"): compared as text."""
    return isinstance(value, str) and len(value) > 1 and value[0] == "0" and value[1].isdigit()


def _line_items(api: str, body: Mapping[str, Any]) -> list[tuple[Any, ...]] | None:
    where, keys, amounts = LINES[api]
    if where == "$lines":
        columns = [body.get(name) for name in (*keys, *amounts)]
        if not all(isinstance(column, list) for column in columns):
            return None
        rows: list[Mapping[str, Any]] = [dict(zip((*keys, *amounts), values, strict=False))
                                         for values in zip(*columns, strict=False)]
    else:
        found = dig(body, where)
        if not isinstance(found, list):
            return None
        rows = [row for row in found if isinstance(row, Mapping)]
    items = []
    for row in rows:
        key = tuple(str(dig(row, name)) if dig(row, name) is not MISSING else None for name in keys)
        values = tuple(_line_amount(dig(row, name), name) for name in amounts)
        items.append((*key, *values))
    return items


def _line_amount(value: Any, name: str) -> Any:
    if value is MISSING or value is None:
        return DEFAULTS.get(name)
    number = _as_decimal(value)
    return number.normalize() if number is not None else f"{value!r} (not an amount)"


def _show_lines(items: list[tuple[Any, ...]]) -> list[str]:
    return sorted(" ".join(str(part) for part in item) for item in items)


def _show(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)
