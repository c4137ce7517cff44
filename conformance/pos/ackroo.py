"""The reference POS on Ackroo (seed 002): Bearer token and device id, baskets as parallel lists, the five
tender slots, partial debits for loyalty and gift redemptions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from conformance.core.exchange import HttpRequest
from conformance.pos.client import PosClient, Result, basket_total, card_of, dec, money

TENDER_SLOTS = ("cash", "debit", "credit", "gift", "other")
"""tender_type_list, in order (DESIGN section 7)."""


def plain(value: Any) -> str:
    """Ackroo's decimal strings: "5.00" -> "5", "0.50" -> "0.5" (the seed prints them so)."""
    text = format(dec(value).normalize(), "f")
    return text


class AckrooClient(PosClient):
    api = "ackroo"

    def sign(self, request: HttpRequest) -> HttpRequest:
        token = self.state.get("token")
        if not token or request.path.startswith("/oauth/") or request.path.startswith("/device?"):
            return request
        return HttpRequest(request.method, request.path, {**request.headers, "Authorization": f"Bearer {token}"},
                           request.body)

    def _card(self, action: Mapping[str, Any]) -> str:
        medium = action.get("medium") or (action.get("customer") or {}).get("medium") or {}
        return card_of(medium)

    def _base(self, action: Mapping[str, Any]) -> dict[str, Any]:
        return {"device_id": self.state.get("device_id", ""), "cardnumber": self._card(action),
                "clerk_id": "", "ackroo_id": ""}

    def do_configure(self, action: Mapping[str, Any]) -> Result:
        credentials = action.get("credentials") or {}
        self.state["token"] = credentials.get("token")
        self.state["device_id"] = credentials.get("device_id", "")
        if credentials.get("code"):  # a new terminal: OAuth code, then register the device with the same code
            body = {"grant_type": "authorization_code", "client_id": credentials.get("client_id", ""),
                    "client_secret": credentials.get("client_secret", ""), "code": credentials["code"]}
            token = self.call("oauthToken", body=body, form=True).json()
            self.state["token"] = token.get("access_token")
            device = self.call("deviceRegister", query={"code": credentials["code"]}).json()
            self.state["device_id"] = device.get("device", self.state["device_id"])
        return {"ok": True}

    def _balance(self, action: Mapping[str, Any]) -> Result:
        query = {"device_id": self.state.get("device_id", ""), "cardnumber": self._card(action)}
        body = self.call("cardBalanceQuery", query=query).json()
        return {"card": "*" + query["cardnumber"][-4:], "balance": money(body.get("loyalty", body.get("el_balance"))),
                "gift_balance": money(body.get("gift", body.get("gc_balance")))}

    do_identify = _balance
    do_balance = _balance

    def _basket(self, action: Mapping[str, Any]) -> dict[str, Any]:
        lines = action.get("lines") or []
        tenders = action.get("tenders") or {}
        return {**self._base(action.get("customer") or {}),
                "price_list": [plain(line["price"]) for line in lines],
                "quantity_list": [plain(line["quantity"]) for line in lines],
                "dept_id_list": [line.get("dept", "") for line in lines],
                "sku_id_list": [line["sku"] for line in lines],
                "tender_type_list": [plain(tenders.get(slot, "0")) for slot in TENDER_SLOTS],
                "promo_id_list": []}

    def do_sale(self, action: Mapping[str, Any]) -> Result:
        redeem = action.get("redeem")
        if redeem:
            operation = "giftDebitPartial" if redeem.get("kind") == "gift" else "loyaltyDebitPartial"
            body = {**self._base(action.get("customer") or {}), "amount": plain(redeem.get("amount", "0"))}
            answer = self.call(operation, body=body).json()
            spent = dec(answer.get("amount_redeemed"))
            return {"spent": money(spent), "amount_due": money(basket_total(action.get("lines")) - spent),
                    "balance": money(answer.get("el_balance")), "gift_balance": money(answer.get("gc_balance")),
                    "reference": str(answer.get("transaction_number", ""))}
        answer = self.call("loyaltyCreditMulti", body=self._basket(action), queue=True).json()
        return {"award": money(answer.get("amount_funded")), "balance": money(answer.get("el_balance")),
                "reference": str(answer.get("transaction_number", ""))}

    def do_refund(self, action: Mapping[str, Any]) -> Result:
        answer = self.call("loyaltyRefundMulti", body=self._basket(action), queue=True).json()
        return {"balance": money(answer.get("el_balance")), "reference": str(answer.get("transaction_number", ""))}

    def do_gift_load(self, action: Mapping[str, Any]) -> Result:
        body = {**self._base(action.get("customer") or {}), "amount": plain(action["amount"])}
        answer = self.call("giftCredit", body=body).json()
        return {"gift_balance": money(answer.get("gc_balance")), "reference": str(answer.get("transaction_number", ""))}

    def do_reverse(self, action: Mapping[str, Any]) -> Result:
        body = {"device_id": self.state.get("device_id", ""), "transaction_number": action["reference"], "clerk_id": ""}
        answer = self.call("transactionReversal", body=body).json()
        return {"gift_balance": money(answer.get("gc_balance")), "balance": money(answer.get("el_balance"))}

    def do_void(self, action: Mapping[str, Any]) -> Result:
        body = {"device_id": self.state.get("device_id", ""), "transaction_number": action["reference"]}
        answer = self.call("transactionVoid", body=body).json()
        return {"gift_balance": money(answer.get("gc_balance")), "balance": money(answer.get("el_balance"))}
