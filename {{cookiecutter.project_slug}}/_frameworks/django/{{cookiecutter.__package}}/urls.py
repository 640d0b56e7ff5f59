from django.urls import path

from . import views

# /health and /ready are answered by middleware.probes_and_hosts, before the Host check.
urlpatterns = [
    path("", views.index),
]
