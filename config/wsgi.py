import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_wsgi_application()

# Imported after Django is set up, because the intake uses models.
from integrations.intake import WebhookIntake  # noqa: E402

# Webhook POSTs skip Django's middleware, and every other request goes to Django.
application = WebhookIntake(django_application)
