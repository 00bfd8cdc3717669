"""The ASGI application `kefu serve` runs (gunicorn with uvicorn's worker): every page and API as
under WSGI, plus the browsers' push streams (kefu.web.push), which hold a connection open
without holding a thread."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
application = get_asgi_application()
