"""The API of dgov.supervision, mounted at /api/v1/services/supervision."""

from ninja import Router

router = Router(tags=["supervision"])
