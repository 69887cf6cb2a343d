-- SPDX-License-Identifier: MIT
-- wrk -s bench/post.lua: every request is a 1 MiB POST (wrk adds Content-Length)
wrk.method = "POST"
wrk.body = string.rep("x", 1048576)
wrk.headers["Content-Type"] = "application/octet-stream"
