"""Ackroo, simulated: every operation of specs/ackroo/openapi.yaml over the engine's Ackroo domain.

Auth (DESIGN 9): a Bearer token, or `access_token` in the query or body; the `device_id` of each call must
be one of the token's devices (else 403). Business refusals come from the engine as BusinessError and
map by kind: invalid 400, not_found 404, conflict 409, rule 422. Errors are {"error", "message"}.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from conformance.core.money import MoneyError, format_money
from conformance.core.redact import mask_card
from conformance.engine.ackroo import Ackroo, CardBalance, CardFixture, TransactionResult, basket_from_lists
from conformance.engine.errors import BusinessError
from conformance.engine.rules import evaluate
from conformance.simulator.provider import Call, Handler, Provider, ProviderError, Reply

API = "ackroo"
DEFAULT_PROGRAM = "ackroo-reference"
DEFAULT_MERCHANT = "default"
"""The merchant of credentials and cards a fixture gives without one (a one-merchant sandbox)."""
STATUS_BY_KIND = {"invalid": 400, "not_found": 404, "conflict": 409, "rule": 422}
ERROR_NAMES = {"AlreadyReversed": "TransactionAlreadyReversed", "InvalidRequest": "InvalidRequest"}
OPEN_OPERATIONS = frozenset({"oauthToken", "deviceRegister"})


def business(exc: BusinessError) -> ProviderError:
    """An engine refusal in Ackroo's terms."""
    return ProviderError(STATUS_BY_KIND[exc.kind], ERROR_NAMES.get(exc.code, exc.code), exc.message)


class AckrooProvider(Provider):
    api = API
    prefix_params = frozenset({"access_token"})

    @property
    def handlers(self) -> Mapping[str, Handler]:
        return {
            "oauthToken": self.oauth_token,
            "deviceRegister": self.device_register,
            "cardBalanceQuery": self.balance,
            "cardBalanceCheck": self.balance,
            "loyaltyCreditMulti": self.credit_multi,
            "loyaltyRefundMulti": self.refund_multi,
            "loyaltyDebitPartial": self._amount_op("loyalty_debit_partial"),
            "giftCredit": self._amount_op("gift_credit"),
            "giftDebitPartial": self._amount_op("gift_debit_partial"),
            "transactionReversal": self.reversal,
            "transactionVoid": self.void,
            "loyaltyCredit": self._amount_op("loyalty_credit"),
            "loyaltyDebit": self._amount_op("loyalty_debit"),
            "loyaltyRefund": self._amount_op("loyalty_refund"),
            "giftDebit": self._amount_op("gift_debit"),
            "giftIssue": self._amount_op("gift_issue"),
        }

    # --- shape ---

    def error_reply(self, status: int, code: str, message: str, parameters: Any = None) -> Reply:
        headers = {"www-authenticate": "Bearer"} if status == 401 else {}
        return Reply(status, {"error": code, "message": message}, headers)

    # --- state ---

    def _credentials(self) -> list[dict[str, Any]]:
        return list(self.state.ledger.get_setting(API, "credentials", []))

    def _engine(self) -> Ackroo:
        program_id = self.state.ledger.get_setting(API, "program", DEFAULT_PROGRAM)
        program = self.state.programs.get(program_id)
        if program is None:
            raise ProviderError(500, "ProgramMissing", f"reward program {program_id!r} is not loaded")
        return Ackroo(self.state.ledger, program)

    def apply_fixtures(self, fixtures: Mapping[str, Any]) -> dict[str, Any]:
        program = fixtures.get("program", DEFAULT_PROGRAM)
        if program not in self.state.programs or self.state.programs[program].api != API:
            raise ProviderError(400, "UnknownProgram", f"no {API} program {program!r}")
        credentials = fixtures.get("credentials") or []
        for index, cred in enumerate(credentials):
            if not isinstance(cred, Mapping) or not cred.get("token") or not cred.get("device_id"):
                raise ProviderError(400, "InvalidFixture", f"credentials[{index}] needs `token` and `device_id`")
        cards = []
        for index, card in enumerate(fixtures.get("cards") or []):
            try:
                cards.append(CardFixture(str(card["cardnumber"]), card.get("gift", "0"), card.get("earned", "0"),
                                         card.get("promo", "0"), bool(card.get("active", True))))
            except KeyError:
                raise ProviderError(400, "InvalidFixture", f"cards[{index}] needs `cardnumber`") from None
        owners = {str(c["cardnumber"]): str(c["merchant"]) for c in fixtures.get("cards") or []
                  if isinstance(c, Mapping) and c.get("merchant")}
        if owners:
            self.state.ledger.set_setting(API, "card_merchants",
                                          {**self.state.ledger.get_setting(API, "card_merchants", {}), **owners})
        merged = {c["token"]: c for c in self._credentials()}
        merged.update({c["token"]: dict(c) for c in credentials})
        ledger = self.state.ledger
        ledger.set_setting(API, "program", program)
        ledger.set_setting(API, "credentials", list(merged.values()))
        try:
            if cards:
                self._engine().put_cards(cards)
        except BusinessError as exc:
            raise ProviderError(400, "InvalidFixture", exc.message) from None
        except MoneyError as exc:
            raise ProviderError(400, "InvalidFixture", str(exc)) from None
        return {"cards": len(cards), "credentials": len(credentials)}

    def reset(self) -> None:
        self.state.ledger.reset(API)

    # --- auth ---

    def authenticate(self, call: Call) -> Any:
        if call.operation.operation_id in OPEN_OPERATIONS:
            return None
        presented = []
        header = call.headers.get("authorization")
        if header is not None:
            scheme, _, value = header.partition(" ")
            presented.append(value.strip() if scheme.lower() == "bearer" else "")
        if "access_token" in call.query:
            presented.append(call.query["access_token"])
        if isinstance(call.body, Mapping) and "access_token" in call.body:
            presented.append(str(call.body["access_token"]))
        if not presented:
            raise ProviderError(401, "InvalidToken", "an access token is required (Bearer header or access_token)")
        # Every credential presented must hold: a valid header never excuses a bad token beside it.
        credentials = {c["token"]: c for c in self._credentials()}
        if len(set(presented)) != 1 or presented[0] not in credentials:
            raise ProviderError(401, "InvalidToken", "the access token is missing, expired or revoked")
        return credentials[presented[0]]

    def _device_check(self, call: Call) -> None:
        if "no-device-check" in self.state.faults.profiles(API):  # deliberately non-conformant profile
            return
        device = call.params.get("device_id") if "device_id" in call.params else (call.body or {}).get("device_id")
        devices = call.principal.get("devices") or [call.principal["device_id"]]
        if device not in devices:
            raise ProviderError(403, "UnknownDevice", "the device is not registered to this merchant")
        card = call.params.get("cardnumber") or (call.body or {}).get("cardnumber")
        if card is not None and not self._in_scope(call, str(card)):
            raise ProviderError(404, "CardNotFound", "card not found")

    # A merchant owns its cards (seed 002: "the merchant" runs every use case on its own program's cards):
    # a credential reaches the cards of its `merchant` only (credentials and cards without one share the
    # default merchant). Out of scope is answered as unknown, 404 (x-confidence: inferred; ARCHITECTURE.md).
    def _in_scope(self, call: Call, card: str) -> bool:
        if "no-merchant-check" in self.state.faults.profiles(API):  # deliberately non-conformant profile
            return True
        owners = self.state.ledger.get_setting(API, "card_merchants", {})
        return bool(owners.get(card, DEFAULT_MERCHANT) == call.principal.get("merchant", DEFAULT_MERCHANT))

    # --- replies ---

    @staticmethod
    def _transaction(result: TransactionResult) -> Reply:
        return Reply(200, {
            "transaction_number": result.transaction_number,
            "txn_id": result.transaction_number,
            "transaction_date_time": result.created_at.isoformat(),
            "amount_funded": format_money(result.amount_funded),
            "amount_redeemed": format_money(result.amount_redeemed),
            "el_balance": format_money(result.earned),
            "gc_balance": format_money(result.gift),
            "promo_balance": format_money(result.promo),
        })

    @staticmethod
    def _balance(card: CardBalance) -> Reply:
        return Reply(200, {
            "cardnumber": mask_card(card.cardnumber),
            "active": card.active,
            "gift": format_money(card.gift),
            "loyalty": format_money(card.loyalty),
            "earned": format_money(card.earned),
            "promo": format_money(card.promo),
            "el_balance": format_money(card.earned),
            "gc_balance": format_money(card.gift),
            "promo_balance": format_money(card.promo),
        })

    # --- handlers ---

    def oauth_token(self, call: Call) -> Reply:
        form = call.body or {}
        for cred in self._credentials():
            if cred.get("client_id") != form.get("client_id") or cred.get("client_secret") != form.get("client_secret"):
                continue
            by_code = form.get("grant_type") == "authorization_code" and cred.get("code") == form.get("code")
            used = set(self.state.ledger.get_setting(API, "used_codes", []))
            grant_ok = (by_code and form.get("code") not in used) or (
                form.get("grant_type") == "refresh_token" and cred.get("refresh_token") == form.get("refresh_token"))
            if not grant_ok:
                return Reply(400, {"error": "invalid_grant",
                                   "error_description": "The provided authorization grant is invalid."})
            body = {"access_token": cred["token"], "token_type": "bearer", "expires_in": 7200,
                    "scope": cred.get("scope", "terminal transaction")}
            if cred.get("refresh_token"):
                body["refresh_token"] = cred["refresh_token"]
            if by_code:  # an authorization code is exchanged once (RFC 6749 § 4.1.2); GET /device registers it once
                self.state.ledger.set_setting(API, "used_codes", sorted(used | {form["code"]}))
            return Reply(200, body)
        return Reply(401, {"error": "invalid_client", "error_description": "Client authentication failed."})

    def device_register(self, call: Call) -> Reply:
        # The sample clients register with the code they exchanged (terminal-setup): it registers once.
        registered = set(self.state.ledger.get_setting(API, "registered_codes", []))
        for cred in self._credentials():
            if cred.get("code") and cred.get("code") == call.params.get("code") and cred["code"] not in registered:
                self.state.ledger.set_setting(API, "registered_codes", sorted(registered | {cred["code"]}))
                return Reply(200, {"device": cred["device_id"]})
        raise ProviderError(401, "InvalidCode", "the authorization code is unknown, expired or already used")

    def balance(self, call: Call) -> Reply:
        self._device_check(call)
        card = call.params.get("cardnumber") or call.body["cardnumber"]
        try:
            return self._balance(self._engine().balance(str(card)))
        except BusinessError as exc:
            raise business(exc) from None

    def _basket(self, call: Call) -> tuple[str, list[Any], list[str]]:
        body = call.body
        try:
            lines = basket_from_lists(body["price_list"], body["quantity_list"], body["dept_id_list"],
                                      body["sku_id_list"])
        except BusinessError as exc:
            raise business(exc) from None
        return str(body["cardnumber"]), lines, list(body["tender_type_list"])

    def _meta(self, call: Call) -> dict[str, Any]:
        body = call.body or {}
        return {k: body[k] for k in ("clerk_id", "ackroo_id", "description", "promo_id_list") if k in body}

    def credit_multi(self, call: Call) -> Reply:
        self._device_check(call)
        card, lines, tenders = self._basket(call)
        engine = self._engine()
        try:
            result = engine.credit_multi(card, lines, tenders, meta=self._meta(call))
            if "double-earn" in self.state.faults.profiles(API):  # deliberately non-conformant profile
                result = engine.credit_multi(card, lines, tenders, meta=self._meta(call))
        except BusinessError as exc:
            raise business(exc) from None
        return self._transaction(result)

    def refund_multi(self, call: Call) -> Reply:
        self._device_check(call)
        card, lines, tenders = self._basket(call)
        try:
            if "refund-no-clawback" in self.state.faults.profiles(API):  # deliberately non-conformant profile
                return self._transaction(self._engine().post("refund_multi", card, lambda _: {}))
            if "refund-below-zero" in self.state.faults.profiles(API):  # deliberately non-conformant profile
                engine = self._engine()
                earn = evaluate(engine.program, lines, tenders).earn
                if earn > 0:  # the whole earn, past the earned balance (the ledger then refuses it)
                    wanted = engine.minor(earn)
                    return self._transaction(engine.post("loyalty_refund_multi", card, lambda _: {"earned": -wanted}))
            return self._transaction(self._engine().refund_multi(card, lines, tenders, meta=self._meta(call)))
        except BusinessError as exc:
            raise business(exc) from None

    def _amount_op(self, method: str) -> Handler:
        """Handlers of the single-amount operations (credit, debit, refund, gift load/issue...)."""

        def handle(call: Call) -> Reply:
            self._device_check(call)
            if method.endswith("_debit_partial") and self.state.faults.profiles(API) & {"overdraw", "racy-debit"}:
                return self._faulty_debit(call, method)  # deliberately non-conformant profiles
            operation = getattr(self._engine(), method)
            try:
                return self._transaction(operation(str(call.body["cardnumber"]), call.body["amount"],
                                                   meta=self._meta(call)))
            except BusinessError as exc:
                raise business(exc) from None

        return handle

    def _faulty_debit(self, call: Call, method: str) -> Reply:
        """`overdraw`: take the whole amount asked; `racy-debit`: read the balance, wait, write what was read."""
        engine = self._engine()
        card, minor = str(call.body["cardnumber"]), engine.minor(call.body["amount"])
        bucket = "gift" if method.startswith("gift") else "earned"
        take = minor
        try:
            if "racy-debit" in self.state.faults.profiles(API):
                seen = engine.balance(card)
                time.sleep(0.05)
                take = min(minor, int(getattr(seen, bucket) * 100))
            result = engine.post(method, card, lambda _: {bucket: -take}, request={"amount": str(call.body["amount"])})
        except BusinessError as exc:
            raise business(exc) from None
        return self._transaction(result)

    def _undo(self, call: Call, kind: str) -> Reply:
        self._device_check(call)
        engine = self._engine()
        number = str(call.body["transaction_number"])
        try:
            record = engine.transaction(number)
            if call.body.get("cardnumber") is not None and record.account != str(call.body["cardnumber"]):
                raise ProviderError(404, "TransactionNotFound", "no such transaction on this card")
            if record.account is not None and not self._in_scope(call, record.account):
                raise ProviderError(404, "TransactionNotFound", "no such transaction")
            if "reversal-restores-nothing" in self.state.faults.profiles(API):  # deliberately non-conformant
                result = engine.post(kind, str(record.account), lambda _: {}, request={"transaction_number": number})
            else:
                result = engine.reversal(number, meta=self._meta(call)) if kind == "reversal" else engine.void(number)
        except BusinessError as exc:
            raise business(exc) from None
        return self._transaction(result)

    def reversal(self, call: Call) -> Reply:
        return self._undo(call, "reversal")

    def void(self, call: Call) -> Reply:
        return self._undo(call, "void")
