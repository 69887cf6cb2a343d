# SPDX-License-Identifier: MIT
"""Imported by `spooler-import` (test_uwsgi_module.py): says where it runs."""
import uwsgi

uwsgi.log("spooler-import ran, i_am_the_spooler=%s" % uwsgi.i_am_the_spooler())
