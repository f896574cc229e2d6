"""The API of dgov.policies, mounted at /api/v1/services/policies."""

from ninja import Router

router = Router(tags=["policies"])
