import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tobloop.config.settings")
django_application = get_asgi_application()

# Event ingestion (/v1/*, /sa) is a lean handler in front of Django; see docs/decisions.
from tobloop.analytics.ingest.app import mount_asgi, start_loader  # noqa: E402

application = mount_asgi(django_application)
start_loader()

from tobloop.config.process import tune_garbage_collection  # noqa: E402

tune_garbage_collection()
