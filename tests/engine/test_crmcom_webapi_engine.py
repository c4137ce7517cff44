"""The CRM.COM Web API domain: seed 000's figures, the spend caps of DESIGN 7, cancel, sessions, and every
refusal leaving the ledger as it was."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.engine.clock import FixedClock
from conformance.engine.crmcom_webapi import (
    MAX_TOKENS,
    AlreadyCancelled,
    AmountOutOfRange,
    CustomerFixture,
    CustomerRef,
    DuplicateReference,
    EventDetails,
    EventRef,
    InvalidCredentials,
    InvalidToken,
    NotFound,
    NothingToSpend,
    ProductLine,
    SpendBelowMinimum,
    WebApi,
    event_id,
    number_of,
)
from conformance.engine.errors import BusinessError, InvalidRequest
from conformance.engine.ledger import Ledger
from conformance.loader.programs import load_program
from conformance.model.program import Program
from tests.engine.engine_support import ROOT

PROGRAM = load_program(ROOT / "scenarios" / "programs" / "crmcom-webapi-reference.yaml")
JOHN = CustomerRef("number", "001")
DETAILS = EventDetails("2017-05-22T16:05:00", {"name": "Unit"}, "POSID01")


def line(code: str | None, quantity: str, total: str, net: str, vat: str) -> ProductLine:
    return ProductLine({"code": code} if code else None, Decimal(quantity), Decimal(net), Decimal(vat),
                       Decimal(total))


PREVIEW_BASKET = [line("Soft Drinks", "1", "10", "8", "2"), line("Sandwiches", "10", "20", "26", "4")]
CREATE_BASKET = [line("Soft Drinks", "1", "10", "8", "2"), line("Sandwiches", "4", "10", "8", "2")]


def make(ledger: Ledger, program: Program = PROGRAM, **john: str) -> WebApi:
    domain = WebApi(ledger, program)
    domain.put_customers([
        CustomerFixture.from_mapping({"number": "001", "name": "John Doe", "authentication_code": "22265577",
                                      "wallet": "10.00", **john}),
        CustomerFixture.from_mapping({"number": "002", "name": "Jane Roe", "wallet": "0.50",
                                      "reduction_method": "BACK_END_REDUCTION"}),
    ], settings={"credentials": [{"username": "pos", "password": "pw", "organisation": "demo", "api_key": "wk-1"}]})
    return domain


@pytest.fixture
def webapi(ledger: Ledger) -> WebApi:
    return make(ledger)


def state(domain: WebApi) -> tuple[object, ...]:
    """Everything a refused operation must leave as it was."""
    ledger = domain.ledger
    return (domain.customer(JOHN).balance, domain.customer(CustomerRef("number", "002")).balance,
            [(t.number, t.kind, t.status) for t in ledger.transactions("crmcom-webapi")])


def test_seed_000_five_steps(webapi: WebApi) -> None:
    by_code = CustomerRef("authentication_code", "22265577")
    customer = webapi.customer(by_code)
    assert (customer.name, customer.balance, customer.wallet_number) == ("John Doe", Decimal("10.00"), "W0000000001")
    preview = webapi.preview(by_code, PREVIEW_BASKET)
    assert (preview.award, preview.additional_spend) == (Decimal("0.08"), Decimal("7.90"))
    assert (preview.instant_spend, preview.automatic_spend, preview.reduction_method) == (
        Decimal(0), Decimal(0), "FRONT_END_REDUCTION")
    assert (preview.minimum_spend, preview.maximum_spend) == (Decimal("1.00"), Decimal("7.90"))
    purchase = webapi.create_purchase(JOHN, CREATE_BASKET, "REF00001", DETAILS)
    assert (purchase.award, purchase.total_spend, purchase.total_amount) == (Decimal("0.08"), Decimal(0), Decimal(20))
    assert webapi.customer(JOHN).balance == Decimal("10.08")
    spent = webapi.spend(JOHN, EventRef("number", purchase.number), 10, DETAILS)
    assert (spent.requested, spent.spent) == (Decimal(10), Decimal("7.90"))
    assert spent.reduction_method == "FRONT_END_REDUCTION"
    redemption = spent.spent + purchase.total_spend
    assert webapi.customer(JOHN).balance == Decimal("10.00") + purchase.award - redemption == Decimal("2.18")
    assert webapi.ledger.check() == []


def test_preview_records_nothing_and_matches_the_create(webapi: WebApi) -> None:
    before = state(webapi)
    preview = webapi.preview(JOHN, CREATE_BASKET)
    assert state(webapi) == before
    assert webapi.create_purchase(JOHN, CREATE_BASKET, "REF0001", DETAILS).award == preview.award


@pytest.mark.parametrize(("wallet", "basket_total", "additional"), [
    ("10.00", "30", "7.90"), ("3.25", "30", "3.25"), ("10.00", "2.5", "2.50"), ("0", "30", "0.00")])
def test_preview_additional_spend_is_the_least_of_wallet_maximum_and_basket(
        ledger: Ledger, wallet: str, basket_total: str, additional: str) -> None:
    domain = make(ledger, wallet=wallet)
    basket = [line("Soft Drinks", "1", basket_total, basket_total, "0")]
    assert domain.preview(JOHN, basket).additional_spend == Decimal(additional)


def test_award_rounds_half_up_once_per_purchase(webapi: WebApi) -> None:
    # 1 % of 0.50 + 1 % of 0.50 = 0.01 exactly; per line each 0.005 would round to 0.01 twice
    basket = [line("Soft Drinks", "1", "0.50", "0.50", "0"), line("Soft Drinks", "1", "0.50", "0.50", "0")]
    assert webapi.preview(JOHN, basket).award == Decimal("0.01")
    assert webapi.preview(JOHN, [line("Soft Drinks", "1", "0.50", "0.50", "0")]).award == Decimal("0.01")
    assert webapi.preview(JOHN, [line("Soft Drinks", "1", "0.49", "0.49", "0")]).award == Decimal("0.00")


def test_unknown_products_earn_nothing_and_book_to_the_default_product(webapi: WebApi) -> None:
    purchase = webapi.create_purchase(JOHN, [line("Sandwiches", "4", "10", "8", "2"), line(None, "1", "5", "5", "0")],
                                      "R1", DETAILS)
    assert purchase.award == 0
    assert [(ln.product_id, ln.intended_product_identifier) for ln in purchase.lines] == [
        ("DEFAULT", {"code": "Sandwiches"}), ("DEFAULT", None)]


def test_a_fixture_product_is_known_by_id_and_earns_by_its_code(ledger: Ledger) -> None:
    domain = make(ledger)
    ledger.set_setting("crmcom-webapi", "products", [{"code": "Soft Drinks", "id": "P-7"}])
    basket = [ProductLine({"id": "P-7"}, Decimal(1), Decimal(100), Decimal(0), Decimal(100))]
    purchase = domain.create_purchase(JOHN, basket, "R1", DETAILS)
    assert (purchase.award, purchase.lines[0].product_id) == (Decimal("1.00"), "P-7")


@pytest.mark.parametrize(("wallet", "requested", "spent"), [
    ("10.00", "10", "7.90"),   # the maximum per transaction
    ("3.00", "5", "3.00"),     # the wallet
    ("0.50", "5", "0.50"),     # a capped spend may be below the minimum (DESIGN 7)
    ("10.00", "1.00", "1.00"),  # exactly the minimum
    ("10.00", "1.005", "1.01"),  # rounded half up to cents, once
])
def test_spend_is_capped(ledger: Ledger, wallet: str, requested: str, spent: str) -> None:
    domain = make(ledger, wallet=wallet)
    purchase = domain.create_purchase(JOHN, [line("Sandwiches", "1", "20", "20", "0")], "R1", DETAILS)
    result = domain.spend(JOHN, EventRef("number", purchase.number), Decimal(requested), DETAILS)
    assert (result.requested, result.spent) == (Decimal(requested), Decimal(spent))
    assert domain.customer(JOHN).balance == Decimal(wallet) - Decimal(spent)


def test_spends_never_exceed_what_is_left_of_the_purchase(ledger: Ledger) -> None:
    domain = make(ledger, wallet="100.00")
    purchase = domain.create_purchase(JOHN, [line("Sandwiches", "1", "10", "10", "0")], "R1", DETAILS)
    event = EventRef("id", purchase.id)
    assert [domain.spend(JOHN, event, 8, DETAILS).spent for _ in range(2)] == [Decimal("7.90"), Decimal("2.10")]
    before = state(domain)
    with pytest.raises(NothingToSpend):
        domain.spend(JOHN, event, 5, DETAILS)
    assert state(domain) == before


def test_spend_without_amount_asks_for_the_purchase_total(webapi: WebApi) -> None:
    small = webapi.create_purchase(JOHN, [line("Sandwiches", "1", "3", "3", "0")], "R1", DETAILS)
    assert webapi.spend(JOHN, EventRef("number", small.number), None, DETAILS).spent == Decimal("3.00")
    tiny = webapi.create_purchase(JOHN, [line("Sandwiches", "1", "0.60", "0.60", "0")], "R2", DETAILS)
    with pytest.raises(SpendBelowMinimum):  # the request is the total, 0.60: below the minimum
        webapi.spend(JOHN, EventRef("number", tiny.number), None, DETAILS)


def test_back_end_reduction_is_reported_and_still_spends(webapi: WebApi) -> None:
    jane = CustomerRef("number", "002")
    assert webapi.preview(jane, CREATE_BASKET).reduction_method == "BACK_END_REDUCTION"
    purchase = webapi.create_purchase(jane, CREATE_BASKET, "R1", DETAILS)
    result = webapi.spend(jane, EventRef("number", purchase.number), 5, DETAILS)
    assert (result.reduction_method, result.spent) == ("BACK_END_REDUCTION", Decimal("0.58"))
    assert webapi.customer(jane).balance == 0


def refusals(domain: WebApi) -> dict[str, tuple[type[BusinessError], object]]:
    purchase = domain.create_purchase(JOHN, CREATE_BASKET, "USED", DETAILS)
    cancelled = domain.create_purchase(JOHN, CREATE_BASKET, "GONE", DETAILS)
    domain.cancel(EventRef("number", cancelled.number))
    jane = CustomerRef("number", "002")
    event, gone = EventRef("number", purchase.number), EventRef("number", cancelled.number)
    return {
        "unknown customer": (NotFound, lambda: domain.create_purchase(CustomerRef("number", "9"), CREATE_BASKET,
                                                                      "R9", DETAILS)),
        "duplicate reference": (DuplicateReference, lambda: domain.create_purchase(JOHN, CREATE_BASKET, "USED",
                                                                                   DETAILS)),
        "reference of a cancelled purchase": (DuplicateReference,
                                              lambda: domain.create_purchase(JOHN, CREATE_BASKET, "GONE", DETAILS)),
        "below the minimum": (SpendBelowMinimum, lambda: domain.spend(JOHN, event, Decimal("0.99"), DETAILS)),
        "unknown purchase": (NotFound, lambda: domain.spend(JOHN, EventRef("number", "424242"), 5, DETAILS)),
        "unknown purchase id": (NotFound, lambda: domain.spend(JOHN, EventRef("id", "not-a-guid"), 5, DETAILS)),
        "another customer's purchase": (NotFound, lambda: domain.spend(jane, event, 5, DETAILS)),
        "spend on a cancelled purchase": (AlreadyCancelled, lambda: domain.spend(JOHN, gone, 5, DETAILS)),
        "second cancel": (AlreadyCancelled, lambda: domain.cancel(gone)),
        "award beyond any wallet": (AmountOutOfRange, lambda: domain.create_purchase(
            JOHN, [line("Soft Drinks", "1", "1E+20", "1E+20", "0")], "BIG", DETAILS)),
        "award lifting the wallet too high": (AmountOutOfRange, lambda: domain.create_purchase(
            JOHN, [line("Soft Drinks", "1", "1E+12", "1E+12", "0")] * 101, "HIGH", DETAILS)),  # 1 % of 1.01E+14
        "spend beyond any wallet": (AmountOutOfRange, lambda: domain.spend(JOHN, event, Decimal("1E+400"), DETAILS)),
    }


@pytest.mark.parametrize("name", [
    "unknown customer", "duplicate reference", "reference of a cancelled purchase", "below the minimum",
    "unknown purchase", "unknown purchase id", "another customer's purchase", "spend on a cancelled purchase",
    "second cancel", "award beyond any wallet", "award lifting the wallet too high", "spend beyond any wallet"])
def test_refusals_change_nothing(webapi: WebApi, name: str) -> None:
    error, action = refusals(webapi)[name]
    before = state(webapi)
    with pytest.raises(error):
        action()  # type: ignore[operator]
    assert state(webapi) == before
    assert webapi.ledger.check() == []


def test_an_empty_wallet_spends_nothing(webapi: WebApi) -> None:
    jane = CustomerRef("number", "002")
    event = EventRef("number", webapi.create_purchase(jane, [line("Sandwiches", "1", "9", "9", "0")], "J1",
                                                      DETAILS).number)
    assert webapi.spend(jane, event, 5, DETAILS).spent == Decimal("0.50")
    before = state(webapi)
    with pytest.raises(NothingToSpend):
        webapi.spend(jane, event, 5, DETAILS)
    assert state(webapi) == before


def test_cancel_returns_the_spend_then_takes_back_the_award(webapi: WebApi) -> None:
    purchase = webapi.create_purchase(JOHN, CREATE_BASKET, "R1", DETAILS)
    webapi.spend(JOHN, EventRef("number", purchase.number), 10, DETAILS)
    assert webapi.customer(JOHN).balance == Decimal("2.18")
    cancelled = webapi.cancel(EventRef("id", purchase.id))
    assert (cancelled.state, cancelled.number) == ("CANCELLED", purchase.number)
    assert webapi.customer(JOHN).balance == Decimal("10.00")
    assert webapi.purchase(EventRef("number", purchase.number)).state == "CANCELLED"
    assert webapi.ledger.check() == []


def test_cancel_never_takes_back_more_than_the_wallet_holds(ledger: Ledger) -> None:
    domain = make(ledger, wallet="0")
    big = [line("Soft Drinks", "1", "500", "500", "0")]
    first = domain.create_purchase(JOHN, big, "R1", DETAILS)  # awards 5.00
    second = domain.create_purchase(JOHN, [line("Sandwiches", "1", "20", "20", "0")], "R2", DETAILS)
    domain.spend(JOHN, EventRef("number", second.number), 5, DETAILS)  # wallet 0.00
    domain.cancel(EventRef("number", first.number))
    assert domain.customer(JOHN).balance == 0
    assert ledger.check() == []


@pytest.mark.parametrize("ref", [
    CustomerRef("number", "001"), CustomerRef("id", "001"), CustomerRef("name", "John Doe"),
    CustomerRef("authentication_code", "22265577")])
def test_every_identification_mean_finds_the_customer(webapi: WebApi, ref: CustomerRef) -> None:
    assert webapi.customer(ref).number == "001"


def test_identifier_needs_its_pass_code_and_names_are_ambiguous_when_shared(ledger: Ledger) -> None:
    domain = make(ledger, identifier="john", pass_code="1234")
    assert domain.customer(CustomerRef("identifier", "john", "1234")).number == "001"
    with pytest.raises(NotFound):
        domain.customer(CustomerRef("identifier", "john", "9999"))
    domain.put_customers([CustomerFixture.from_mapping({"number": "003", "name": "John Doe"})])
    with pytest.raises(NotFound, match="Several"):
        domain.customer(CustomerRef("name", "John Doe"))


@pytest.mark.parametrize(("entry", "message"), [
    ({"name": "No Number"}, "number"),
    ({"number": "009", "name": "X", "reduction_method": "SIDEWAYS"}, "reduction_method"),
    ({"number": "009", "name": "X", "identifier": "x"}, "pass_code"),
    ({"number": "009", "name": "X", "wallet": "1.005"}, "decimal places"),
    ({"number": "009", "name": "X", "authentication_code": "22265577"}, "already names"),
])
def test_bad_customer_fixtures_are_refused_whole(webapi: WebApi, entry: dict[str, str], message: str) -> None:
    before = state(webapi)
    with pytest.raises(InvalidRequest, match=message):
        webapi.put_customers([CustomerFixture.from_mapping(entry)])
    assert state(webapi) == before


def test_reloading_a_fixture_sets_the_wallet_by_an_opening_entry(webapi: WebApi) -> None:
    webapi.create_purchase(JOHN, CREATE_BASKET, "R1", DETAILS)
    webapi.put_customers([CustomerFixture.from_mapping({"number": "001", "name": "John Doe", "wallet": "4.00"})])
    assert webapi.customer(JOHN).balance == Decimal("4.00")
    with pytest.raises(NotFound):  # the reloaded fixture has no authentication code any more
        webapi.customer(CustomerRef("authentication_code", "22265577"))
    assert webapi.ledger.check() == []


def test_tokens_last_two_hours_and_only_their_digest_is_stored(ledger: Ledger) -> None:
    clock = ledger.clock
    assert isinstance(clock, FixedClock)
    domain = make(ledger)
    token = domain.login("pos", "pw", "demo")
    key_token = domain.key_login("wk-1", "Unit")
    assert len(token) == 32 and token != key_token
    assert domain.session(key_token).unit == "Unit"
    assert token not in str(ledger.get_setting("crmcom-webapi", "tokens"))
    clock.advance(timedelta(hours=2) - timedelta(seconds=1))
    assert domain.session(token).principal == "user:pos@demo"
    clock.advance(timedelta(seconds=1))
    with pytest.raises(InvalidToken):
        domain.session(token)


@pytest.mark.parametrize("attempt", [("pos", "wrong", "demo"), ("pos", "pw", "other"), ("nobody", "pw", "demo")])
def test_wrong_credentials_are_refused(webapi: WebApi, attempt: tuple[str, str, str]) -> None:
    with pytest.raises(InvalidCredentials):
        webapi.login(*attempt)
    with pytest.raises(InvalidCredentials):
        webapi.key_login("wk-2")


def test_ids_map_back_to_numbers() -> None:
    assert number_of(event_id("111")) == "111"
    assert number_of("0e8a5a3c-3f2b-4d5e-9a7b-1c2d3e4f5a6b") is None
    assert number_of("nonsense") is None


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.tuples(st.sampled_from(["create", "spend", "cancel"]), st.integers(0, 3),
                          st.decimals("0", "30", places=2)), max_size=12))
def test_any_sequence_keeps_the_ledger_sound(steps: list[tuple[str, int, Decimal]]) -> None:
    """Balances equal their entries, never go negative, and spends respect every cap, whatever happens."""
    with Ledger(":memory:", clock=FixedClock(), sequential=True) as ledger:
        domain = make(ledger, wallet="12.00")
        purchases: list[str] = []
        for index, (action, pick, amount) in enumerate(steps):
            try:
                if action == "create":
                    basket = [line("Soft Drinks", "1", str(amount), str(amount), "0")]
                    purchases.append(domain.create_purchase(JOHN, basket, f"R{index}", DETAILS).number)
                elif purchases and action == "spend":
                    wallet = domain.customer(JOHN).balance
                    result = domain.spend(JOHN, EventRef("number", purchases[pick % len(purchases)]), amount, DETAILS)
                    assert amount >= 1 and result.spent <= min(amount, wallet, Decimal("7.90"))
                elif purchases:
                    domain.cancel(EventRef("number", purchases[pick % len(purchases)]))
            except BusinessError:
                pass
            assert ledger.check() == []


def test_a_fixture_token_outlives_a_flood_of_logins(webapi: WebApi) -> None:
    """A fuzzer logs in thousands of times: the oldest logins go, the token a fixture gave stays."""
    webapi.register_token("FIXTURE-TOKEN")
    first = webapi.login("pos", "pw", "demo")
    for _ in range(MAX_TOKENS):
        webapi.login("pos", "pw", "demo")
    assert webapi.session("FIXTURE-TOKEN").principal == "fixture"
    with pytest.raises(BusinessError):
        webapi.session(first)
