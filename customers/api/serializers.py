from rest_framework import serializers

from apiclients.fields import CountryCodeField as CountryField
from customers.models import Address, Consent, ConsentPurpose, Customer


class ProfileSerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = ["id", "email", "first_name", "last_name", "company", "phone", "vat_number", "language", "updated_at"]
        read_only_fields = ["id", "email", "vat_number", "updated_at"]


class AddressSerializer(serializers.ModelSerializer):
    country = CountryField(help_text="ISO 3166-1 alpha-2 code, such as DE.")

    class Meta:
        model = Address
        fields = ["id", "kind", "is_default", "first_name", "last_name", "company", "street", "street2", "postal_code", "city", "region", "country", "phone"]
        read_only_fields = ["id"]


class ConsentSerializer(serializers.ModelSerializer):
    purpose = serializers.ChoiceField(choices=ConsentPurpose.choices)

    class Meta:
        model = Consent
        fields = ["purpose", "granted", "recorded_at", "source"]
        extra_kwargs = {"recorded_at": {"required": False}, "source": {"required": False}}
