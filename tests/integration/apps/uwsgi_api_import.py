# SPDX-License-Identifier: MIT
"""Loaded by the `import` option before the app (test_uwsgi_module.py)."""
import uwsgi

uwsgi.log("uwsgi_api_import imported in worker %d" % uwsgi.worker_id())
