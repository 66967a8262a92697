from django.utils.translation import gettext as _
from rest_framework import exceptions, permissions


class HasScope(permissions.BasePermission):
    """Allow a request only when its client has the scope the view names for the action.

    Views set `required_scopes`, a dict from action name (or "*") to scope.
    """

    def has_permission(self, request, view):
        client = request.auth
        if client is None:
            raise exceptions.NotAuthenticated(_("Send an API token as 'Authorization: Bearer <token>'."))
        scopes = getattr(view, "required_scopes", {})
        scope = scopes.get(getattr(view, "action", None) or "", scopes.get("*"))
        if scope and not client.has_scope(scope):
            raise exceptions.PermissionDenied(
                _("This client lacks the scope %(scope)s. Ask the merchant to grant it in the admin.") % {"scope": scope}
            )
        return True
