from __future__ import annotations

from django.urls import include, path

from .shop import views

urlpatterns = [
    path("", views.index),
    path("items/", views.items),
    path("boom/", views.boom),
    path("missing/", views.missing),
    path("whoami/", views.whoami),
    path("session-login/", views.session_login),
    path("log/", views.log_something),
    path("sleep/", views.sleep),
    path("async/", views.async_view),
    path("async-boom/", views.async_boom),
    path("mounted/", include("dockerflow.django.urls", namespace="dockerflow")),
]
