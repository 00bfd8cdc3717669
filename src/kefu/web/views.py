from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

import kefu


@never_cache
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        db = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means "not healthy"
        db = f"error: {exc.__class__.__name__}"
    status = 200 if db == "ok" else 503
    return JsonResponse({"status": "ok" if status == 200 else "error", "database": db,
                         "database_vendor": connection.vendor, "version": kefu.__version__}, status=status)


@login_required
def home(request):
    from kefu.orders.services import my_queue_counts

    return render(request, "web/home.html", {"counts": my_queue_counts(request.user)})
