from django.urls import path

from . import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login, name="login"),
    path("login/code/", views.code, name="code"),
    path("logout/", views.logout, name="logout"),
    path("new/", views.new, name="new"),
    path("orders/<int:order_id>/", views.order, name="order"),
    path("orders/<int:order_id>/answer/", views.answer, name="answer"),
    path("orders/<int:order_id>/feedback/", views.feedback, name="feedback"),
    path("orders/<int:order_id>/withdraw/", views.withdraw, name="withdraw"),
    # A satisfaction survey, by the link's token alone (an SMS link: no sign-in).
    path("survey/<str:token>/", views.survey, name="survey"),
    path("survey/<str:token>/stop/", views.survey_stop, name="survey-stop"),
]
