"""The payment provider interface (GOV.UK Pay's shape: create a payment, send the payer to the
provider's page, learn the outcome by callback or by asking; refunds; a daily statement)."""

import datetime as dt
from abc import ABC, abstractmethod
from dataclasses import dataclass, field


class ProviderError(Exception):
    """The provider could not be reached or refused the request."""


@dataclass
class ProviderPayment:
    out_trade_no: str
    ref: str
    amount: int  # fen
    state: str  # created, submitted, success, failed, cancelled
    pay_url: str = ""
    completed_at: dt.datetime | None = None


@dataclass
class ProviderRefund:
    out_refund_no: str
    ref: str
    amount: int
    state: str  # pending, success, failed


@dataclass
class Statement:
    day: dt.date
    payments: list[ProviderPayment] = field(default_factory=list)  # completed successfully that day
    refunds: list[ProviderRefund] = field(default_factory=list)  # refunded that day


class Provider(ABC):
    name = "provider"

    @abstractmethod
    def create_payment(self, *, out_trade_no: str, amount: int, subject: str, return_url: str) -> ProviderPayment:
        """Register a payment; the result's `pay_url` is where the payer goes to pay."""

    @abstractmethod
    def query(self, out_trade_no: str) -> ProviderPayment:
        """The payment's state at the provider now."""

    @abstractmethod
    def refund(self, *, out_trade_no: str, out_refund_no: str, amount: int, reason: str) -> ProviderRefund:
        """Refund `amount` of a successful payment."""

    @abstractmethod
    def statement(self, day: dt.date) -> Statement:
        """The provider's record of the day: successful payments and refunds."""
