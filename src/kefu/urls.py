from django.contrib import admin
from django.urls import include, path

from kefu.api import api
from kefu.web import errors
from kefu.web.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("portal/", include("kefu.portal.urls")),
    path("", include("kefu.web.urls")),
]

# Errors in the layout of the page asked for (staff, portal), or as JSON under /api/.
handler400 = errors.bad_request
handler403 = errors.permission_denied
handler404 = errors.page_not_found
handler500 = errors.server_error
