"""Business errors: one family, so the simulator maps every refusal to its api's status and body in one place.

Each error has a PascalCase ``code`` (Ackroo puts it in ``{"error": code}``) and a ``kind`` saying what
sort of refusal it is; the simulator turns kinds into statuses (DESIGN section 9: ``invalid`` 400,
``not_found`` 404, ``conflict`` 409, ``rule`` 422). A refused operation changes nothing.
"""

from __future__ import annotations

from typing import ClassVar, Literal

ErrorKind = Literal["invalid", "not_found", "conflict", "rule"]


class BusinessError(Exception):
    """A request the domain refuses; nothing was changed."""

    code: ClassVar[str] = "BusinessError"
    kind: ClassVar[ErrorKind] = "rule"

    def __init__(self, message: str = "") -> None:
        self.message = message or self.code
        super().__init__(self.message)


class InvalidRequest(BusinessError):
    """A value the domain cannot act on (negative amount, more decimals than the program's scale...)."""

    code = "InvalidRequest"
    kind = "invalid"


class CardNotFound(BusinessError):
    code = "CardNotFound"
    kind = "not_found"


class TransactionNotFound(BusinessError):
    code = "TransactionNotFound"
    kind = "not_found"


class AlreadyReversed(BusinessError):
    """The transaction was reversed (or voided) before."""

    code = "AlreadyReversed"
    kind = "conflict"


class NotReversible(BusinessError):
    """A reversal, void or fixture transaction cannot itself be reversed."""

    code = "NotReversible"


class InsufficientFunds(BusinessError):
    """The balance does not hold the amount (a full debit, or a reversal of funds already spent)."""

    code = "InsufficientFunds"


class CardAlreadyActive(BusinessError):
    code = "CardAlreadyActive"


class CardInactive(BusinessError):
    code = "CardInactive"


class LoyaltyAmountLessThreshold(BusinessError):
    """A loyalty redemption below the program's spend minimum (Ackroo's own error name)."""

    code = "LoyaltyAmountLessThreshold"
