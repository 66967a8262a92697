"""Bearer token authentication for API clients: `Authorization: Bearer kt_…`."""

from rest_framework import authentication

from apiclients.access import KEYWORD, bearer_token, client_for_token, record_use


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
    keyword = KEYWORD

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        token = bearer_token(header)
        if token is None:
            return None
        # The fast path has read the clients version already when it handed the request on.
        client = client_for_token(token, getattr(request, "api_clients_version", None))
        record_use(client)
        return ApiClientUser(client), client

    def authenticate_header(self, request):
        return self.keyword
