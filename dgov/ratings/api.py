"""The API of dgov.ratings, mounted at /api/v1/services/ratings."""

from ninja import Router

router = Router(tags=["ratings"])
