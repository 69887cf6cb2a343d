# SPDX-License-Identifier: MIT
import hashlib
import os
import time

from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse, StreamingHttpResponse
from django.shortcuts import render


def index(request):
    return HttpResponse("django says hi", content_type="text/plain")


def form(request):
    """GET: the form (sets the csrftoken cookie); POST: CSRF-checked by the middleware."""
    if request.method == "POST":
        return HttpResponse("hello " + request.POST.get("name", ""), content_type="text/plain")
    return render(request, "form.html")


def upload(request):
    if request.method != "POST" or "file" not in request.FILES:
        return HttpResponseBadRequest("POST a multipart 'file'")
    f = request.FILES["file"]
    digest = hashlib.sha256()
    for chunk in f.chunks():
        digest.update(chunk)
    return JsonResponse({"name": f.name, "size": f.size, "sha256": digest.hexdigest(),
                         "on_disk": hasattr(f, "temporary_file_path"),
                         "note": request.POST.get("note", "")})


def stream(request):
    """First chunk at once; the rest only after the test creates the gate
    file: if the first chunk reaches the client before that, the response
    really streams."""
    gate = request.GET.get("gate", "")

    def chunks():
        yield b"chunk 0\n"
        deadline = time.monotonic() + 20
        while gate and not os.path.exists(gate) and time.monotonic() < deadline:
            time.sleep(0.02)
        for i in range(1, 5):
            yield b"chunk %d\n" % i

    return StreamingHttpResponse(chunks(), content_type="text/plain")
