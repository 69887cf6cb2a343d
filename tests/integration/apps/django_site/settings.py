# SPDX-License-Identifier: MIT
"""A small Django project served by Stockade in the integration suite:
a CSRF-protected form, a multipart upload, a streaming response, and static
files collected into STATIC_ROOT and served by Stockade's static-map."""
import os
import pathlib

BASE_DIR = pathlib.Path(__file__).resolve().parent

SECRET_KEY = "stockade-test-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = ["django.contrib.staticfiles"]
MIDDLEWARE = [
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
]
ROOT_URLCONF = "django_site.urls"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [BASE_DIR / "templates"],
    "APP_DIRS": False,
    "OPTIONS": {"context_processors": ["django.template.context_processors.csrf"]},
}]
DATABASES = {}
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# collectstatic's target; the test points it at a temp dir
STATIC_ROOT = os.environ.get("DJANGO_STATIC_ROOT", str(BASE_DIR / "collected"))

# uploads above this go to a temporary file (the multi-MB test takes that path)
FILE_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
FILE_UPLOAD_TEMP_DIR = os.environ.get("DJANGO_UPLOAD_TMP", "/tmp")
