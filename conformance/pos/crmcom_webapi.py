"""The reference POS on CRM.COM's legacy Web API (seed 000): log in for a token, identify by the card's
authentication code, then preview, create and (when the customer spends) a spend request; every answer
is HTTP 200 and `status.code` says whether it was accepted."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from conformance.core import jsonio
from conformance.core.exchange import HttpResponse
from conformance.pos.client import PosClient, Result, basket_total, card_of, dec, line_total, money

UNIT = "Unit"
EXTERNAL_SYSTEM = "POSID01"


class CrmcomWebApiClient(PosClient):
    api = "crmcom-webapi"

    def refused(self, response: HttpResponse) -> str | None:
        body = response.json()
        code = (body.get("status") or {}).get("code") if isinstance(body, dict) else None
        if response.status < 400 and code == "OK":
            return None
        return f"{response.status} {jsonio.dumps(body) if body is not None else response.text[:200]}"

    def duplicate(self, response: HttpResponse) -> bool:
        body = response.json()
        text = jsonio.dumps(body) if body is not None else ""
        return "DUPLICATE" in text.upper() or "ALREADY" in text.upper()

    def _with_token(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"token": self.state.get("token", ""), **body}

    def do_configure(self, action: Mapping[str, Any]) -> Result:
        credentials = action.get("credentials") or {}
        if credentials.get("username"):
            body = {key: credentials.get(key, "") for key in ("username", "password", "organisation")}
            answer = self.call("webApiLogin", body=body).json()
        else:
            basic = base64.b64encode(f"{credentials.get('api_key', '')}:".encode()).decode()
            answer = self.call("webApiKeyLogin", body={"unit": credentials.get("unit", UNIT)},
                               headers={"Authorization": f"Basic {basic}"}).json()
        self.state["token"] = answer["data"]["token"]
        return {"ok": True}

    def _identifier(self, action: Mapping[str, Any]) -> dict[str, Any]:
        medium = action.get("medium") or (action.get("customer") or {}).get("medium") or {}
        return {"access_token_identifier": {"authentication_code": card_of(medium)}}

    def _show(self, action: Mapping[str, Any]) -> dict[str, Any]:
        body = self._with_token({"rewards_participant_identifier": self._identifier(action),
                                 "fields_set": "accounts_receivable,wallet"})
        data: dict[str, Any] = self.call("webApiRewardsParticipantShow", body=body).json()["data"]
        return data

    def _balance(self, action: Mapping[str, Any]) -> Result:
        data = self._show(action)
        return {"customer": str((data.get("accounts_receivable") or {}).get("name", "")),
                "balance": money((data.get("wallet") or {}).get("balance"))}

    do_identify = _balance
    do_balance = _balance

    def do_sale(self, action: Mapping[str, Any]) -> Result:
        customer = self._show(action.get("customer") or {})
        account = {"number": (customer.get("accounts_receivable") or {}).get("number")}
        reference = str(action.get("reference") or self.state.get("next_reference") or f"REF{uuid4().hex[:10].upper()}")
        performed_on = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
        lines = action.get("lines") or []
        products = [{"product_identifier": {"code": line["sku"]}, "quantity": dec(line["quantity"]),
                     "total_amount": line_total(line),
                     "net_amount": line_total(line) - dec(line.get("vat_amount", "0")),
                     "vat_amount": dec(line.get("vat_amount", "0"))} for line in lines]
        common = {"performed_by_unit_identifier": {"name": UNIT}, "performed_on": performed_on,
                  "reference_number": reference, "products_set": products}
        preview = self.call("webApiPurchasePreview", body=self._with_token({
            "rewards_participant_identifier": self._identifier(action.get("customer") or {}), **common,
            "fields_set": "total_additional_spend_amount,total_automatic_spend_amount,reduction_method,"
                          "total_instant_spend_amount,total_award_amount"})).json()["data"]
        created = self.call("webApiPurchaseCreate", queue=True, body=self._with_token({
            "accounts_receivable_identifier": account, **common, "process_immediately": True,
            "external_system": EXTERNAL_SYSTEM,
            "fields_set": "number,total_awarded_amount,reference_number,total_spend_amount"})).json()["data"]
        result: Result = {"award": money(created.get("total_awarded_amount")), "reference": str(created.get("number"))}
        total = basket_total(lines)
        spent = dec(created.get("total_spend_amount"))
        redeem = action.get("redeem") or {}
        if redeem.get("amount"):
            spend = self.call("webApiSpendRequestCreate", body=self._with_token({
                "accounts_receivable_identifier": account, "performed_by_unit_identifier": {"name": UNIT},
                "performed_on": performed_on, "external_system": EXTERNAL_SYSTEM, "process_immediately": True,
                "spend_amount": dec(redeem["amount"]),
                "purchase_customer_request_identifier": {"number": created.get("number")},
                "fields_set": "number,spend_amount,reduction_method,spend_reward_transaction"})).json()["data"]
            spent += dec((spend.get("spend_reward_transaction") or {}).get("total_amount"))
            if spend.get("reduction_method", preview.get("reduction_method")) == "BACK_END_REDUCTION":
                total += spent  # the customer pays in full; the back end credits him later
        result.update(spent=money(spent), amount_due=money(total - spent))
        return result

    def do_void(self, action: Mapping[str, Any]) -> Result:
        body = self._with_token({"customer_event_identifier": {"number": str(action["reference"])}})
        data = self.call("webApiPurchaseCancel", body=body).json()["data"]
        return {"reference": str(data.get("number", ""))}

