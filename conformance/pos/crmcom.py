"""The reference POS on CRM.COM REST (seeds 001, 003): the `api_key` header, purchases with their spend
request, voids by the purchase id the POS kept for its own reference, ad hoc returns, reclaim receipts,
product synchronisation and orders."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from conformance.core.exchange import HttpRequest, HttpResponse
from conformance.core.media import ReceiptCode, receipt_barcode_payload, receipt_qr_payload
from conformance.pos.client import PosClient, Refused, Result, basket_total, card_of, dec, line_total, money

NUMERIC_PRODUCT_FIELDS = ("vat_rate", "tax_rate")


class CrmcomClient(PosClient):
    api = "crmcom"

    def sign(self, request: HttpRequest) -> HttpRequest:
        return HttpRequest(request.method, request.path, {**request.headers, "api_key": self.state.get("api_key", "")},
                           request.body)

    def duplicate(self, response: HttpResponse) -> bool:
        return response.status == 409

    def do_configure(self, action: Mapping[str, Any]) -> Result:
        credentials = action.get("credentials") or {}
        settings = action.get("settings") or {}
        self.state.update(api_key=credentials.get("api_key", ""), merchant=settings.get("merchant", ""),
                          outlet=settings.get("outlet", ""))
        return {"ok": True}

    def _taps(self) -> dict[str, Any]:
        taps: dict[str, Any] = {}
        if self.state.get("merchant"):
            taps["merchant_tap"] = {"code": self.state["merchant"]}
        if self.state.get("outlet"):
            taps["outlet_tap"] = {"code": self.state["outlet"]}
        return taps

    def do_identify(self, action: Mapping[str, Any]) -> Result:
        cim = card_of(action.get("medium") or (action.get("customer") or {}).get("medium") or {})
        found = self.call("crmCustomerSearch", query={"cim": cim}).json()
        content = found.get("content") or []
        if not content:
            raise Refused(f"no contact with card {cim[-4:]}")
        contact = content[0]
        self.state.setdefault("contacts", {})[cim] = contact.get("id")
        return {"customer": str(contact.get("name") or contact.get("id", ""))}

    do_balance = do_identify

    @staticmethod
    def _products(lines: Any) -> list[dict[str, Any]]:
        return [{"product_sku": line["sku"], "quantity": dec(line.get("quantity", "1")),
                 "net_amount": dec(line.get("net_amount", line_total(line))),
                 "tax_amount": dec(line.get("vat_amount", "0")), "total_amount": line_total(line)}
                for line in lines]

    def do_sale(self, action: Mapping[str, Any]) -> Result:
        reference = str(action.get("reference", ""))
        total = basket_total(action.get("lines"))
        if action.get("mode") == "self_service":  # nothing is sent: the receipt carries the claim codes
            receipt = ReceiptCode(reference, self.state.get("merchant", ""), self.state.get("outlet", ""), total)
            return {"receipt": {"qr": receipt_qr_payload(receipt), "barcode": receipt_barcode_payload(receipt)}}
        body: dict[str, Any] = {"reference_number": reference, **self._taps(),
                                "products": self._products(action.get("lines") or [])}
        customer = action.get("customer") or {}
        if customer.get("medium"):
            body["cim"] = card_of(customer["medium"])
        if customer.get("pass_code"):
            body["pass_code"] = customer["pass_code"]
        body["classification"] = {"code": "CONTACT_RECLAIM" if action.get("mode") == "contact_reclaim" else "POS_SALE"}
        redeem = action.get("redeem") or {}
        if "otp" in redeem:
            body["spend_request"] = {"otp": redeem["otp"]}
        elif "points" in redeem:
            body["spend_request"] = {"alternative_amount": int(redeem["points"])}
        elif "amount" in redeem:
            body["spend_request"] = {"amount": dec(redeem["amount"])}
        answer = self.call("crmPurchaseCreate", body=body, queue=True).json() or {}
        self.state.setdefault("purchases", {})[reference] = answer.get("id")
        spent = dec(answer.get("total_spend_amount"))
        result: Result = {"award": money(answer.get("total_award_amount")), "spent": money(spent),
                          "amount_due": money(total - spent), "reference": str(answer.get("id", ""))}
        if "otp" in redeem:
            result["otp_requested"] = True
        if action.get("receipt"):
            receipt = ReceiptCode(reference, self.state.get("merchant", ""), self.state.get("outlet", ""), total)
            result["receipt"] = {"qr": receipt_qr_payload(receipt), "barcode": receipt_barcode_payload(receipt)}
        return result

    def do_void(self, action: Mapping[str, Any]) -> Result:
        reference = str(action["reference"])
        purchase = self.state.get("purchases", {}).get(reference) or reference
        answer = self.call("crmPurchaseCancel", path={"id": purchase}).json() or {}
        return {"reference": str(answer.get("id", purchase))}

    def do_refund(self, action: Mapping[str, Any]) -> Result:
        body: dict[str, Any] = {"reference_number": str(action.get("reference", "")), **self._taps()}
        customer = action.get("customer") or {}
        if customer.get("medium"):
            body["cim"] = card_of(customer["medium"])
        if action.get("lines"):
            body["products"] = self._products(action["lines"])
        else:
            body["total_amount"] = dec(action.get("total", action.get("amount", "0")))
            if action.get("net_amount"):
                body["net_amount"] = dec(action["net_amount"])
        answer = self.call("crmPurchaseAdHocReturn", body=body, queue=True).json() or {}
        return {"reference": str(answer.get("id", ""))}

    def do_sync_products(self, action: Mapping[str, Any]) -> Result:
        products = [{key: (dec(value) if key in NUMERIC_PRODUCT_FIELDS and isinstance(value, str) else value)
                     for key, value in product.items()} for product in action["products"]]
        answer = self.call("crmProductsSynchronise", body={"products": products}).json() or {}
        return {"reference": str(answer.get("id", ""))}

    def _order_id(self, number: str) -> str:
        orders = self.call("crmOrderList", query={"state": "NEW"}).json() or {}
        for order in orders.get("content") or []:
            if order.get("number") == number:
                return str(order["id"])
        raise Refused(f"no new order {number}")

    def do_order(self, action: Mapping[str, Any]) -> Result:
        op = action["op"]
        if op == "list":
            orders = self.call("crmOrderList", query={"state": action.get("state", "NEW")}).json() or {}
            return {"orders": [order.get("number") for order in orders.get("content") or []]}
        order_id = self._order_id(str(action["number"]))
        body: dict[str, Any] = {"action": "COMPLETE"}
        if op == "cancel":
            reasons = self.call("crmOrderCancellationReasonList").json() or {}
            chosen = [r for r in reasons.get("content") or [] if r.get("name") == action.get("reason")]
            if not chosen:
                raise Refused(f"no cancellation reason {action.get('reason')!r}")
            body = {"action": "CANCEL", "cancellation_reason_id": chosen[0]["id"]}
        answer = self.call("crmOrderAction", path={"id": order_id}, body=body).json() or {}
        return {"state": str(answer.get("state", ""))}
