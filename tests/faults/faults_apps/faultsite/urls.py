from django.urls import path

from .views import occupied, pid

urlpatterns = [path("__pid__", pid), path("__occupy__", occupied)]
