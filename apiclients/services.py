"""Creating API clients and rotating their tokens; the token is returned once and never stored."""

import logging

from django.db import transaction

from apiclients.models import ApiClient
from apiclients.tokens import generate_token, hash_token, token_prefix

logger = logging.getLogger(__name__)


@transaction.atomic
def create_client(*, name, channel, scopes, actor, **fields):
    """Create a client and return (client, token). Only the hash of the token is saved."""
    token = generate_token()
    client = ApiClient.objects.create(
        name=name,
        channel=channel,
        scopes=list(scopes),
        token_prefix=token_prefix(token),
        token_hash=hash_token(token),
        **fields,
    )
    logger.info("API client created", extra={"api_client_id": client.pk, "actor": actor})
    return client, token


@transaction.atomic
def rotate_token(client, *, actor):
    """Give the client a new token and return it; the old token stops working at once."""
    token = generate_token()
    client.token_prefix = token_prefix(token)
    client.token_hash = hash_token(token)
    client.save(update_fields=["token_prefix", "token_hash", "updated_at"])
    logger.info("API client token rotated", extra={"api_client_id": client.pk, "actor": actor})
    return token
