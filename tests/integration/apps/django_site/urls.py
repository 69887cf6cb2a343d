# SPDX-License-Identifier: MIT
from django.urls import path

from . import views

urlpatterns = [
    path("form/", views.form),
    path("upload/", views.upload),
    path("stream/", views.stream),
    path("", views.index),
]
