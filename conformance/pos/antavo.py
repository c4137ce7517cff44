"""The reference POS on Antavo (seed 004): Escher-signed requests (a fresh signature per attempt, never the
same second twice), the customer's id read from the membership pass, checkout events whose
`transaction_id` is the POS's own reference (kept on every retry), points previews, refunds."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from conformance.core import escher
from conformance.core.exchange import HttpRequest, HttpResponse
from conformance.pos.client import PosClient, Result, basket_total, card_of, dec, money


def number(value: Any) -> Any:
    """Antavo's JSON numbers: integers stay integers ("55.00" -> 55), other amounts keep their decimals."""
    amount = dec(value)
    return int(amount) if amount == amount.to_integral_value() else amount


class AntavoClient(PosClient):
    api = "antavo"

    def sign(self, request: HttpRequest) -> HttpRequest:
        path, _, query = request.path.partition("?")
        query = "&".join(part for part in (query, urlencode({"api_key": self.state.get("api_key", "")})) if part)
        signed_path = f"{path}?{query}"
        if not self.state.get("secret"):
            return HttpRequest(request.method, signed_path, dict(request.headers), request.body)
        base = urlsplit(self.state.get("base_url", ""))
        now = int(datetime.now(UTC).timestamp())
        now = max(now, int(self.state.get("signed_at", 0)) + 1)  # a second signature is never a replay
        self.state["signed_at"] = now
        headers = escher.sign(request.method, base.path.rstrip("/") + signed_path, base.netloc, request.body,
                              api_key=self.state.get("api_key", ""), secret=self.state["secret"],
                              region=self.state.get("region", "eu"), now=datetime.fromtimestamp(now, UTC))
        return HttpRequest(request.method, signed_path, {**request.headers, **headers}, request.body)

    def duplicate(self, response: HttpResponse) -> bool:
        return response.status == 400 and "ERR_TX_ALREADY_EXISTS" in response.text

    def do_configure(self, action: Mapping[str, Any]) -> Result:
        credentials = action.get("credentials") or {}
        self.state.update(api_key=credentials.get("api_key", ""), secret=credentials.get("secret", ""),
                          region=credentials.get("region", "eu"), base_url=action.get("base_url", ""))
        return {"ok": True}

    @staticmethod
    def _member(action: Mapping[str, Any]) -> str:
        """The customer id from a pass's QR, or (a barcode) the membership number as an external id."""
        medium = action.get("medium") or (action.get("customer") or {}).get("medium") or {}
        if medium.get("type") == "barcode":
            return f"{{external_id:{str(medium.get('data', '')).strip()}}}"
        return card_of(medium)

    def do_identify(self, action: Mapping[str, Any]) -> Result:
        member = self._member(action)
        if action.get("enrol"):
            self.call("antavoPostEvent", body={"customer": member, "action": "opt_in", "data": dict(action["enrol"])})
            return {"customer": member}
        profile = self.call("antavoGetCustomer", path={"customer_id": member}).json() or {}
        return {"customer": member, "balance": money(profile.get("spendable"))}

    do_balance = do_identify

    @staticmethod
    def _items(lines: Any) -> list[dict[str, Any]]:
        items = []
        for line in lines or ():
            price, quantity, discount = dec(line["price"]), dec(line["quantity"]), dec(line.get("discount", "0"))
            items.append({"product_id": line["sku"], "product_name": line.get("description", line["sku"]),
                          "price": number(price), "quantity": number(quantity), "discount": number(discount),
                          "subtotal": number(price * quantity - discount)})
        return items

    def do_sale(self, action: Mapping[str, Any]) -> Result:
        member = self._member(action.get("customer") or {})
        items = self._items(action.get("lines"))
        total = sum((dec(item["subtotal"]) for item in items), dec(0))
        data: dict[str, Any] = {"transaction_id": str(action.get("reference", "")), "total": number(total)}
        redeem = action.get("redeem") or {}
        if redeem.get("amount"):
            data["points_burned"] = number(redeem["amount"])
        data["items"] = items
        body = {"customer": member, "action": "checkout", "data": data}
        if action.get("close") is False:
            preview = self.call("antavoPointsPreview", body=body).json() or {}
            return {"award": money((preview.get("purchase") or {}).get("base"))}
        self.state.setdefault("sales", {})[data["transaction_id"]] = str(total)
        profile = self.call("antavoPostEvent", body=body, queue=True).json() or {}
        earned = sum((dec(event.get("points")) for event in profile.get("events") or []
                      if str(event.get("action", "")).startswith("checkout")), dec(0))
        burned = dec(data.get("points_burned", 0))
        return {"award": money(earned), "spent": money(burned), "balance": money(profile.get("spendable")),
                "amount_due": money(basket_total(action.get("lines")) - sum(
                    (dec(line.get("discount", "0")) for line in action.get("lines") or ()), dec(0)) - burned)}

    def do_refund(self, action: Mapping[str, Any]) -> Result:
        member = self._member(action.get("customer") or {})
        reference = str(action.get("reference", ""))
        original = dec(self.state.get("sales", {}).get(reference, "0"))
        if action.get("lines"):
            refunded = sum((dec(item["subtotal"]) for item in self._items(action["lines"])), dec(0))
        else:
            refunded = dec(action.get("amount", action.get("total", "0")))
        if refunded == original:
            body: dict[str, Any] = {"customer": member, "action": "refund", "data": {"transaction_id": reference}}
        else:
            body = {"customer": member, "action": "partial_refund",
                    "data": {"transaction_id": reference, "total": number(refunded)}}
        profile = self.call("antavoPostEvent", body=body, queue=True).json() or {}
        return {"balance": money(profile.get("spendable"))}

