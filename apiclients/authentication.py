"""Bearer token authentication for API clients: `Authorization: Bearer kt_…`."""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from apiclients.models import ApiClient
from apiclients.tokens import TOKEN_PREFIX, hash_token

LAST_USED_RESOLUTION = timedelta(hours=1)


class ApiClientUser:
    """The request.user of an API call: authenticated, never staff, carries its client."""

    is_authenticated = True
    is_active = True
    is_staff = False
    is_superuser = False
    is_anonymous = False

    def __init__(self, client):
        self.client = client
        self.pk = None

    def __str__(self):
        return f"api-client:{self.client.pk}"


class TokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        keyword, _sep, token = header.partition(" ")
        token = token.strip()
        if keyword.lower() != self.keyword.lower() or not token:
            raise exceptions.AuthenticationFailed(_("Send the token as 'Authorization: Bearer <token>'."))
        if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            raise exceptions.AuthenticationFailed(_("The token is invalid. Ask the merchant for a new one."))

        client = (
            ApiClient.objects.select_related("channel", "price_list")
            .filter(token_hash=hash_token(token), is_active=True)
            .first()
        )
        if client is None:
            raise exceptions.AuthenticationFailed(_("The token is invalid or its client was deactivated. Ask the merchant for a new one."))
        self._touch(client)
        return ApiClientUser(client), client

    @staticmethod
    def _touch(client):
        # Writing the time on every request would cost a row update each; hourly is enough for support.
        now = timezone.now()
        if client.last_used_at is None or now - client.last_used_at > LAST_USED_RESOLUTION:
            ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
            client.last_used_at = now

    def authenticate_header(self, request):
        return self.keyword
