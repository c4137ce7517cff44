"""The pinned Ackroo fixture (DESIGN 6) and the seed's payloads, shared by the simulator tests."""

from __future__ import annotations

from typing import Any

DEVICE = "0d373af2942291bf"
CARD = "612573981949778930"
TOKEN = "t-1"
FIXTURE = {
    "api": "ackroo", "program": "ackroo-reference",
    "credentials": [{"token": TOKEN, "device_id": DEVICE}],
    "cards": [{"cardnumber": CARD, "gift": "0.00", "earned": "0.00", "promo": "0.00", "active": True}],
}
AUTH = {"authorization": f"Bearer {TOKEN}"}


def basket(prices: list[str], quantities: list[str], depts: list[str], skus: list[str],
           tenders: list[str]) -> dict[str, Any]:
    return {"device_id": DEVICE, "cardnumber": CARD, "clerk_id": "", "ackroo_id": "", "price_list": prices,
            "quantity_list": quantities, "dept_id_list": depts, "sku_id_list": skus,
            "tender_type_list": tenders, "promo_id_list": []}


UC5_LINES = (["2", "4", "5", "7"], ["1", "2", "2", "7"], ["01", "02", "02", "03"], ["0101", "0102", "0103", "0105"])
USE_CASES = {
    # use case: (basket, expected reward) -- seed 002 use cases 1-7, typographic quotes corrected
    1: (basket(["5", "3"], ["2", "1"], ["02", "01"], ["0103", "0104"], ["13", "0", "0", "0", "0"]), "1.30"),
    2: (basket(["5", "3"], ["2", "2"], ["02", "01"], ["0103", "0104"], ["13", "0", "0", "0", "0"]), "1.60"),
    3: (basket(["2", "4"], ["1", "2"], ["01", "02"], ["0101", "0102"], ["8", "0", "0", "0", "0"]), "2.00"),
    4: (basket(["2", "4", "5"], ["1", "2", "2"], ["01", "02", "02"], ["0101", "0102", "0103"],
               ["20", "0", "0", "0", "0"]), "3.00"),
    5: (basket(*UC5_LINES, ["27", "0", "0", "0", "0"]), "5.80"),
    6: (basket(*UC5_LINES, ["0", "27", "0", "0", "0"]), "2.90"),
    7: (basket(*UC5_LINES, ["7", "20", "0", "0", "0"]), "3.65"),
}
