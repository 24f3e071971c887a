from django.urls import path

from . import views

# /__version__, /__heartbeat__, /__lbheartbeat__ and /__error__ are answered by
# DockerflowMiddleware before URL resolution: they need no entry here.
urlpatterns = [path("", views.index)]
