"""The API of dgov.payments, mounted at /api/v1/services/payments."""

from ninja import Router

router = Router(tags=["payments"])
