"""The profile of the customer an API client is bound to: profile, addresses, consents."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from apiclients.errors import ApiError
from apiclients.models import Scope
from apiclients.schema import error_responses
from apiclients.views import ApiViewMixin
from customers.api import changes
from customers.api.serializers import AddressSerializer, ConsentSerializer, ProfileSerializer
from customers.models import Customer, normalize_email

READ_WRITE_SCOPES = {"GET": Scope.CUSTOMERS_READ, "PATCH": Scope.CUSTOMERS_WRITE, "POST": Scope.CUSTOMERS_WRITE}


class CustomerView(ApiViewMixin, GenericAPIView):
    pagination_class = None

    @property
    def required_scopes(self):
        return {"*": READ_WRITE_SCOPES.get(self.request.method, Scope.CUSTOMERS_WRITE)}

    def get_customer(self):
        client = self.request.auth
        if not client.customer_email:
            raise NotFound(_("This API client is not bound to a customer. Set the customer email of the client in the admin."))

        customer = Customer.objects.filter(email=normalize_email(client.customer_email), is_guest=False).first()
        if customer is None:
            raise ApiError(
                _(
                    "No registered customer has the email %(email)s, which is the customer email of this API client. "
                    "Correct the client's customer email in the admin, or register the customer: the first order "
                    "placed through this client does that."
                )
                % {"email": client.customer_email},
                code="customer_not_found",
                value=client.customer_email,
                status_code=status.HTTP_404_NOT_FOUND,
            )
        return customer

    def actor(self):
        return f"api-client:{self.request.auth.pk}"


@extend_schema(tags=["customers"])
class ProfileView(CustomerView):
    serializer_class = ProfileSerializer

    @extend_schema(responses={200: ProfileSerializer, **error_responses(404)}, summary="Own customer profile")
    def get(self, request):
        return Response(ProfileSerializer(self.get_customer()).data)

    @extend_schema(request=ProfileSerializer, responses={200: ProfileSerializer, **error_responses(404, 415)}, summary="Change own profile")
    def patch(self, request):
        customer = self.get_customer()
        serializer = ProfileSerializer(customer, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        changes.update_profile(customer, dict(serializer.validated_data), actor=self.actor())
        return Response(ProfileSerializer(customer).data)


@extend_schema(tags=["customers"])
class AddressListView(CustomerView):
    serializer_class = AddressSerializer

    @extend_schema(responses={200: AddressSerializer(many=True), **error_responses(404)}, summary="Own addresses")
    def get(self, request):
        addresses = self.get_customer().addresses.order_by("kind", "-is_default", "id")
        return Response(AddressSerializer(addresses, many=True).data)

    @extend_schema(request=AddressSerializer, responses={201: AddressSerializer, **error_responses(404, 415)}, summary="Add an address")
    def post(self, request):
        customer = self.get_customer()
        serializer = AddressSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        address = changes.add_address(customer, dict(serializer.validated_data), actor=self.actor())
        return Response(AddressSerializer(address).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["customers"])
class ConsentListView(CustomerView):
    serializer_class = ConsentSerializer

    @extend_schema(responses={200: ConsentSerializer(many=True), **error_responses(404)}, summary="Current consent per purpose")
    def get(self, request):
        return Response(ConsentSerializer(changes.latest_consents(self.get_customer()), many=True).data)

    @extend_schema(request=ConsentSerializer, responses={201: ConsentSerializer, **error_responses(404, 415)}, summary="Grant or withdraw a consent")
    def post(self, request):
        customer = self.get_customer()
        serializer = ConsentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = serializer.validated_data
        consent = changes.record_consent(
            customer,
            purpose=fields["purpose"],
            granted=fields["granted"],
            source=fields.get("source") or _("API client %(name)s") % {"name": request.auth.name},
            recorded_at=fields.get("recorded_at"),
            actor=self.actor(),
        )
        return Response(ConsentSerializer(consent).data, status=status.HTTP_201_CREATED)
