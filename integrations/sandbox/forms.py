from django import forms
from django.utils.text import capfirst

from integrations.sandbox.faults import EDITABLE_FIELDS
from integrations.sandbox.models import SandboxFaults


class SandboxFaultsForm(forms.ModelForm):
    """Fault settings form whose system is chosen from the simulated systems.

    The field accepts any text and leaves the check to the model, so an unknown name gets the
    model's message with the valid names. A row stored with an unknown name keeps it as an extra
    option, so its page shows what is stored instead of silently preselecting another system.
    """

    system = forms.CharField(label=capfirst(SandboxFaults._meta.get_field("system").verbose_name), widget=forms.Select)

    class Meta:
        model = SandboxFaults
        fields = ["system", *EDITABLE_FIELDS]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        model_field = SandboxFaults._meta.get_field("system")
        choices = model_field.get_choices(include_blank=self.instance.pk is None)
        if self.instance.pk and self.instance.system not in dict(model_field.choices):
            choices.append((self.instance.system, self.instance.system_label()))
        self.fields["system"].widget.choices = choices
