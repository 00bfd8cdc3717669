from django.contrib.auth import views as auth_views
from django.urls import path

from . import me, reports, views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(template_name="web/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("queue/handover/", views.hand_over_shift, name="hand-over-shift"),
    path("queue/<slug:which>/", views.queue, name="queue"),
    path("queue/<slug:which>/save/", views.save_view, name="save-view"),
    path("views/<int:view_id>/delete/", views.delete_view, name="delete-view"),
    path("orders/<int:order_id>/", views.order, name="order"),
    path("orders/<int:order_id>/<slug:action>/", views.order_action, name="order-action"),
    path("customers/", views.customer_lookup, name="customers"),
    path("contacts/", views.contact_start, name="contact-start"),
    path("contacts/<int:contact_id>/", views.contact, name="contact"),
    path("contacts/<int:contact_id>/verify/", views.contact_verify, name="contact-verify"),
    path("contacts/<int:contact_id>/sms/", views.contact_sms, name="contact-sms"),
    path("contacts/<int:contact_id>/order/", views.contact_order, name="contact-order"),
    path("contacts/<int:contact_id>/caller/", views.contact_caller, name="contact-caller"),
    path("contacts/<int:contact_id>/match/", views.contact_match, name="contact-match"),
    path("contacts/<int:contact_id>/end/", views.contact_end, name="contact-end"),
    path("suggest/", views.suggest, name="suggest"),
    path("knowledge/", views.knowledge, name="knowledge"),
    path("knowledge/<int:article_id>/", views.knowledge_article, name="article"),
    path("orders/<int:order_id>/articles/<int:article_id>/", views.link_article, name="link-article"),
    path("board/", views.board, name="board"),
    path("board/data/", views.board_data, name="board-data"),
    path("reports/", reports.report, name="reports"),
    path("reports/complaints/", reports.complaint_orders, name="report-complaints"),
    path("reports/subscribe/", reports.subscribe, name="report-subscribe"),
    path("reports/download.<str:fmt>", reports.download, name="report-download"),
    path("preferences/", views.preferences, name="preferences"),
    path("notifications/", me.notifications, name="notifications"),
    path("notifications/read-all/", me.read_all_notifications, name="notifications-read-all"),
    path("notifications/<int:notification_id>/read/", me.read_notification, name="notification-read"),
    path("notifications/<int:notification_id>/open/", me.open_notification, name="notification-open"),
    path("me/status/", me.presence, name="presence"),
    # An order by its number (/orders/GD20261122000123/): last, so no other orders/…/ page is taken for a number.
    path("orders/<str:number>/", views.order_by_number, name="order-by-number"),
]
