from django.contrib import admin
from django.urls import include, path

from kefu.api import api
from kefu.web.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("portal/", include("kefu.portal.urls")),
    path("", include("kefu.web.urls")),
]
