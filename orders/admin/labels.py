"""Admin columns and filters that show a stored code, such as a payment method, by its label."""

from django.contrib import admin


def code_label_filter(field_name, title, label_of):
    """Build a list filter over the codes stored in `field_name` that lists each code by its label.

    `label_of(code)` returns the label in the active language. Blank codes are not listed.
    """

    class CodeLabelFilter(admin.SimpleListFilter):
        parameter_name = field_name

        def lookups(self, request, model_admin):
            codes = (
                model_admin.get_queryset(request)
                .exclude(**{field_name: ""})
                .order_by()
                .values_list(field_name, flat=True)
                .distinct()
            )
            choices = [(code, label_of(code)) for code in codes]
            return sorted(choices, key=lambda choice: str(choice[1]).casefold())

        def queryset(self, request, queryset):
            if self.value() is None:
                return queryset
            return queryset.filter(**{field_name: self.value()})

    CodeLabelFilter.title = title
    CodeLabelFilter.__name__ = f"{field_name.title()}LabelFilter"
    return CodeLabelFilter
