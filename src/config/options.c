/* SPDX-License-Identifier: MIT */
#include "config/options.h"
#include "config/config.h"
#include "config/config_handlers.h"
#include "base/names.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

#define F(x) offsetof(struct config, x)
#define NOF NO_FIELD
#define IMM OPT_IMMEDIATE
#define SO OPT_ALREADY_SO
#define LOGIC (OPT_IMMEDIATE | OPT_LOGIC)
#define HOOK_FIELD(ph, fam) (offsetof(struct config, hooks) + ((size_t)(ph) * HF_COUNT + (fam)) * sizeof(struct strlist))
#define HOOK_ROWS(ph, name, when) \
	{ "hook-" name, NULL, 0, ARG_REQUIRED, T_LIST, 0, "hooks", "hook action:args " when, NULL, HOOK_FIELD(ph, HF_HOOK), 0 }, \
	{ "mount-" name, NULL, 0, ARG_REQUIRED, T_LIST, 0, "hooks", "mount <fstype> <src> <dst> [flags] " when, NULL, HOOK_FIELD(ph, HF_MOUNT), 0 }, \
	{ "umount-" name, NULL, 0, ARG_REQUIRED, T_LIST, 0, "hooks", "umount <dst> [flags] " when, NULL, HOOK_FIELD(ph, HF_UMOUNT), 0 }, \
	{ "exec-" name, NULL, 0, ARG_REQUIRED, T_LIST, 0, "hooks", "shell command " when, NULL, HOOK_FIELD(ph, HF_EXEC), 0 }

/*
 * One row per option:
 * name, aliases, short, argument, type, flags, group, help, immediate handler, field, cond
 */
const struct option_def option_table[] = {
	/* configuration sources and helpers */
	{ "ini", NULL, 0, ARG_REQUIRED, T_LIST, IMM, "config", "load an ini file (file[:section], default section [uwsgi] or [stockade])", h_ini, NOF, 0 },
	{ "json", "js", 'j', ARG_REQUIRED, T_LIST, IMM, "config", "load a JSON file (file[:section])", h_json, NOF, 0 },
	{ "include", NULL, 0, ARG_REQUIRED, T_LIST, IMM, "config", "include a config file here (format by extension)", h_include, NOF, 0 },
	{ "config", NULL, 0, ARG_REQUIRED, T_LIST, IMM, "config", "load a config file (format by extension)", h_include, NOF, 0 },
	{ "inherit", NULL, 0, ARG_REQUIRED, T_LIST, IMM, "config", "include a file without $() @() %() expansion", h_inherit, NOF, 0 },
	{ "set", NULL, 'S', ARG_REQUIRED, T_LIST, IMM, "config", "set an option or placeholder: key=value", h_set, NOF, 0 },
	{ "set-placeholder", "set-ph", 0, ARG_REQUIRED, T_LIST, IMM, "config", "set a placeholder: key=value (error if key is an option)", h_set_placeholder, NOF, 0 },
	{ "strict", NULL, 0, ARG_NONE, T_BOOL, IMM, "config", "every unknown config key is an error", h_strict, F(strict), 0 },
	{ "print", "iprint", 0, ARG_REQUIRED, T_LIST, IMM, "config", "print a line while reading the config", h_print, NOF, 0 },
	{ "exit", NULL, 0, ARG_OPTIONAL, T_STRING, IMM, "config", "exit while reading the config (default status 1)", h_exit, NOF, 0 },
	{ "show-config", NULL, 0, ARG_NONE, T_BOOL, OPT_ACTION, "config", "print the resolved option list (name = value) and exit", NULL, F(show_config), 0 },
	{ "help", "usage", 'h', ARG_NONE, T_BOOL, OPT_ACTION, "config", "show the options, grouped by subsystem", NULL, F(help), 0 },
	{ "help-option", NULL, 0, ARG_REQUIRED, T_STRING, OPT_ACTION, "config", "explain one option", NULL, F(help_option), 0 },
	{ "options-markdown", NULL, 0, ARG_NONE, T_BOOL, OPT_ACTION, "config", "print the option reference as markdown (docs/options.md)", NULL, F(options_markdown), 0 },
	{ "options-man", NULL, 0, ARG_NONE, T_BOOL, OPT_ACTION, "config", "print the man page (docs/stockade.1)", NULL, F(options_man), 0 },
	{ "version", NULL, 0, ARG_NONE, T_BOOL, OPT_ACTION, "config", "print the version", NULL, F(version), 0 },

	/* config logic (blocks nest) */
	{ "if-exists", "ifexists", 0, ARG_REQUIRED, T_STRING, LOGIC | OPT_OPENER, "logic", "lines up to endif apply if the path exists", h_logic, NOF, COND_EXISTS },
	{ "if-not-exists", "ifnotexists", 0, ARG_REQUIRED, T_STRING, LOGIC | OPT_OPENER, "logic", "lines up to endif apply if the path does not exist", h_logic, NOF, COND_EXISTS | COND_NOT },
	{ "if-file", "iffile", 0, ARG_REQUIRED, T_STRING, LOGIC | OPT_OPENER, "logic", "... if the path is a regular file", h_logic, NOF, COND_FILE },
	{ "if-not-file", NULL, 0, ARG_REQUIRED, T_STRING, LOGIC | OPT_OPENER, "logic", "... if the path is not a regular file", h_logic, NOF, COND_FILE | COND_NOT },
	{ "if-dir", "ifdir if-directory", 0, ARG_REQUIRED, T_STRING, LOGIC | OPT_OPENER, "logic", "... if the path is a directory", h_logic, NOF, COND_DIR },
	{ "if-not-dir", "if-not-directory", 0, ARG_REQUIRED, T_STRING, LOGIC | OPT_OPENER, "logic", "... if the path is not a directory", h_logic, NOF, COND_DIR | COND_NOT },
	{ "if-env", "ifenv", 0, ARG_REQUIRED, T_STRING, LOGIC | OPT_OPENER, "logic", "... if the environment variable is set (NAME or NAME=value)", h_logic, NOF, COND_ENV },
	{ "if-not-env", NULL, 0, ARG_REQUIRED, T_STRING, LOGIC | OPT_OPENER, "logic", "... if the environment variable is not set (NAME or NAME=value)", h_logic, NOF, COND_ENV | COND_NOT },
	{ "if-opt", "ifopt", 0, ARG_REQUIRED, T_STRING, LOGIC | OPT_OPENER, "logic", "... if an option was already given (key or key=value)", h_logic, NOF, COND_OPT },
	{ "if-not-opt", NULL, 0, ARG_REQUIRED, T_STRING, LOGIC | OPT_OPENER, "logic", "... if an option was not given (key or key=value)", h_logic, NOF, COND_OPT | COND_NOT },
	{ "if-reload", NULL, 0, ARG_OPTIONAL, T_STRING, LOGIC | OPT_OPENER, "logic", "... on a reload (re-exec)", h_logic, NOF, COND_RELOAD },
	{ "if-not-reload", NULL, 0, ARG_OPTIONAL, T_STRING, LOGIC | OPT_OPENER, "logic", "... on a first start", h_logic, NOF, COND_RELOAD | COND_NOT },
	{ "if-hostname", NULL, 0, ARG_REQUIRED, T_STRING, LOGIC | OPT_OPENER, "logic", "... if the hostname is this", h_logic, NOF, COND_HOSTNAME },
	{ "if-not-hostname", NULL, 0, ARG_REQUIRED, T_STRING, LOGIC | OPT_OPENER, "logic", "... if the hostname is not this", h_logic, NOF, COND_HOSTNAME | COND_NOT },
	{ "if-os", NULL, 0, ARG_REQUIRED, T_STRING, LOGIC | OPT_OPENER, "logic", "... if the OS is one of linux|freebsd (Stockade extension)", h_logic, NOF, COND_OS },
	{ "if-not-os", NULL, 0, ARG_REQUIRED, T_STRING, LOGIC | OPT_OPENER, "logic", "... if the OS is none of linux|freebsd (Stockade extension)", h_logic, NOF, COND_OS | COND_NOT },
	{ "for", NULL, 0, ARG_REQUIRED, T_STRING, LOGIC | OPT_OPENER, "logic", "repeat lines up to endfor for each space-separated item, %(_) = item", h_logic, NOF, LOOP_WORDS },
	{ "for-glob", NULL, 0, ARG_REQUIRED, T_STRING, LOGIC | OPT_OPENER, "logic", "repeat lines for each path matching the glob", h_logic, NOF, LOOP_GLOB },
	{ "for-times", NULL, 0, ARG_REQUIRED, T_STRING, LOGIC | OPT_OPENER, "logic", "repeat lines N times, %(_) = 1..N", h_logic, NOF, LOOP_TIMES },
	{ "for-readline", NULL, 0, ARG_REQUIRED, T_STRING, LOGIC | OPT_OPENER, "logic", "repeat lines for each line of a file", h_logic, NOF, LOOP_READLINE },
	{ "else", NULL, 0, ARG_OPTIONAL, T_STRING, LOGIC | OPT_ELSE, "logic", "lines up to endif apply if the if-condition failed", h_logic, NOF, 0 },
	{ "endif", "end-if", 0, ARG_OPTIONAL, T_STRING, LOGIC | OPT_CLOSER, "logic", "close an if block", h_logic, NOF, 0 },
	{ "endfor", "end-for", 0, ARG_OPTIONAL, T_STRING, LOGIC | OPT_CLOSER, "logic", "close a for block", h_logic, NOF, 0 },
	{ "end", NULL, 0, ARG_OPTIONAL, T_STRING, LOGIC | OPT_CLOSER, "logic", "close any block", h_logic, NOF, 0 },

	/* process model */
	{ "master", NULL, 'M', ARG_NONE, T_BOOL, 0, "process", "run a master process that supervises the workers", NULL, F(master), 0 },
	{ "processes", "workers", 'p', ARG_REQUIRED, T_UINT, 0, "process", "number of worker processes", NULL, F(processes), 0 },
	{ "lazy-apps", NULL, 0, ARG_NONE, T_BOOL, 0, "process", "load the app in each worker instead of the master", NULL, F(lazy_apps), 0 },
	{ "max-requests", NULL, 'R', ARG_REQUIRED, T_UINT, 0, "process", "recycle a worker after N requests", NULL, F(max_requests), 0 },
	{ "harakiri", NULL, 't', ARG_REQUIRED, T_UINT, 0, "process", "kill a worker stuck in one request for N seconds", NULL, F(harakiri), 0 },
	{ "binary-path", NULL, 0, ARG_REQUIRED, T_STRING, 0, "process", "executable to re-exec on reload (default: this one)", NULL, F(binary_path), 0 },
	{ "daemonize", NULL, 'd', ARG_REQUIRED, T_STRING, 0, "process", "detach and log to this file", NULL, F(daemonize), 0 },
	{ "pidfile", NULL, 0, ARG_REQUIRED, T_STRING, 0, "process", "write the master pid to this file", NULL, F(pidfile), 0 },
	/* issue 19: offload */
	{ "offload-threads", "offload-thread", 0, ARG_REQUIRED, T_UINT, 0, "process", "offload threads per worker: they finish sendfile responses (static files, wsgi.file_wrapper) so the worker serves on; the connection closes after", NULL, F(offload_threads), 0 },
	/* issue 20: threads */
	{ "threads", NULL, 0, ARG_REQUIRED, T_UINT, 0, "process", "threads per worker, each serving requests (implies enable-threads; at most 512)", NULL, F(threads), 0 },
	{ "threads-stacksize", "thread-stacksize threads-stack-size thread-stack-size", 0, ARG_REQUIRED, T_UINT, 0, "process", "stack size of each worker thread in KB (default: the system's)", NULL, F(threads_stacksize), 0 },

	/* sockets */
	{ "http-socket", NULL, 0, ARG_REQUIRED, T_LIST, 0, "socket", "serve HTTP/1.1 on this address", NULL, F(http_socket), 0 },
	{ "socket", NULL, 's', ARG_REQUIRED, T_LIST, 0, "socket", "serve the binary uwsgi protocol (or the one `protocol` names) on this address", NULL, F(uwsgi_socket), 0 },
	{ "shared-socket", NULL, 0, ARG_REQUIRED, T_LIST, 0, "socket", "bind early (before jail/privilege drop); use as =N", NULL, F(shared_socket), 0 },
	{ "chmod-socket", "chmod", 'C', ARG_OPTIONAL, T_STRING, 0, "socket", "chmod unix sockets (default 666)", NULL, F(chmod_socket), 0 },
	{ "chown-socket", NULL, 0, ARG_REQUIRED, T_STRING, 0, "socket", "chown unix sockets to user[:group]", NULL, F(chown_socket), 0 },
	{ "listen", NULL, 'l', ARG_REQUIRED, T_UINT, 0, "socket", "listen queue (backlog) size (default 1024; uWSGI: 100)", NULL, F(listen_backlog), 0 },
	{ "socket-timeout", NULL, 'z', ARG_REQUIRED, T_UINT, 0, "socket", "seconds before an idle or slow connection is closed", NULL, F(socket_timeout), 0 },
	{ "buffer-size", NULL, 'b', ARG_REQUIRED, T_UINT, 0, "socket", "maximum request header / uwsgi packet size in bytes", NULL, F(buffer_size), 0 },
	{ "limit-post", NULL, 0, ARG_REQUIRED, T_UINT, 0, "socket", "maximum request body size in bytes (0 = unlimited)", NULL, F(limit_post), 0 },
	{ "request-body-timeout", NULL, 0, ARG_REQUIRED, T_UINT, 0, "socket", "seconds for a whole request body, extended by request-body-min-rate (default 60; 0 = per read only; Stockade extension)", NULL, F(request_body_timeout), 0 },
	{ "request-body-min-rate", NULL, 0, ARG_REQUIRED, T_UINT, 0, "socket", "bytes per second of body that extend request-body-timeout by one second (default 500; 0 = no extension)", NULL, F(request_body_min_rate), 0 },
	/* issue 19: post-buffering (server/post_buffer.c) */
	{ "post-buffering", NULL, 0, ARG_REQUIRED, T_UINT, 0, "socket", "read the whole request body before the app runs: in memory below N bytes, else in an unlinked temp file in $TMPDIR (default /tmp)", NULL, F(post_buffering), 0 },
	{ "post-buffering-bufsize", NULL, 0, ARG_REQUIRED, T_UINT, 0, "socket", "bytes per read() while post-buffering (default 8192, raised to post-buffering, at most 1 MiB)", NULL, F(post_buffering_bufsize), 0 },
	{ "vacuum", NULL, 0, ARG_NONE, T_BOOL, 0, "socket", "remove unix sockets and pidfiles at exit", NULL, F(vacuum), 0 },
	/* issue 19: socket options */
	{ "uwsgi-socket", NULL, 0, ARG_REQUIRED, T_LIST, 0, "socket", "serve the binary uwsgi protocol on this address, whatever `protocol` says", NULL, F(uwsgi_socket_forced), 0 },
	{ "http11-socket", NULL, 0, ARG_REQUIRED, T_LIST, 0, "socket", "serve HTTP/1.1 with keep-alive on this address (as http-socket, which keeps connections alive too)", NULL, F(http_socket), 0 },
	{ "protocol", "socket-protocol", 0, ARG_REQUIRED, T_STRING, 0, "socket", "protocol of the `socket` addresses: uwsgi (default), http or http11", NULL, F(protocol), 0 },
	{ "umask", NULL, 0, ARG_REQUIRED, T_STRING, 0, "socket", "set the umask (octal) at start; unix sockets then get mode 0777 & ~umask unless chmod-socket", NULL, F(umask), 0 },
	{ "no-defer-accept", NULL, 0, ARG_NONE, T_BOOL, 0, "socket", "no TCP_DEFER_ACCEPT: a worker wakes on the connection, not on its first bytes", NULL, F(no_defer_accept), 0 },
	{ "chdir2", NULL, 0, ARG_REQUIRED, T_STRING, 0, "python", "chdir in each worker after the app is loaded", NULL, F(chdir2), 0 },

	/* python */
	{ "wsgi-file", "file", 0, ARG_REQUIRED, T_STRING, 0, "python", "load a WSGI app from this file", NULL, F(wsgi_file), 0 },
	{ "module", "wsgi", 'w', ARG_REQUIRED, T_STRING, 0, "python", "load a WSGI app from a module (pkg.mod[:callable])", NULL, F(module), 0 },
	{ "callable", NULL, 0, ARG_REQUIRED, T_STRING, 0, "python", "name of the WSGI callable (default application)", NULL, F(callable), 0 },
	{ "pythonpath", "python-path pp", 0, ARG_REQUIRED, T_LIST, 0, "python", "add a directory to sys.path", NULL, F(pythonpath), 0 },
	{ "home", "virtualenv venv pyhome", 'H', ARG_REQUIRED, T_STRING, 0, "python", "use this virtualenv", NULL, F(home), 0 },
	{ "enable-threads", NULL, 'T', ARG_NONE, T_BOOL, 0, "python", "let Python threads run", NULL, F(enable_threads), 0 },
	{ "chdir", NULL, 0, ARG_REQUIRED, T_STRING, 0, "python", "chdir before loading the app", NULL, F(chdir_path), 0 },
	{ "env", NULL, 0, ARG_REQUIRED, T_LIST, 0, "python", "set an environment variable NAME=value", NULL, F(env), 0 },
	/* issue 22: the uwsgi module */
	{ "import", "pyimport py-import python-import", 0, ARG_REQUIRED, T_LIST, 0, "python", "import a Python module (or a .py file) before the app", NULL, F(py_import), 0 },
	{ "pyargv", NULL, 0, ARG_REQUIRED, T_STRING, 0, "python", "sys.argv[1:], split on spaces", NULL, F(pyargv), 0 },
	{ "optimize", NULL, 'O', ARG_REQUIRED, T_UINT, 0, "python", "Python optimization level (as python -O)", NULL, F(py_optimize), 0 },
	{ "wsgi-disable-file-wrapper", NULL, 0, ARG_NONE, T_BOOL, 0, "python", "no wsgi.file_wrapper in environ", NULL, F(wsgi_disable_file_wrapper), 0 },
	{ "locks", NULL, 0, ARG_REQUIRED, T_UINT, 0, "python", "user locks 1..N for uwsgi.lock(n) (lock 0 always exists)", NULL, F(locks), 0 },
	{ "cache2", NULL, 0, ARG_REQUIRED, T_LIST, 0, "python", "a shared cache: name=,items=[,blocksize=,keysize=,store=,purge_lru=1,...] (see docs/python-module.md)", NULL, F(cache2), 0 },
	{ "cache", NULL, 0, ARG_REQUIRED, T_UINT, 0, "python", "the old default cache: this many items (see cache-blocksize, cache-store)", NULL, F(cache_items), 0 },
	{ "cache-blocksize", NULL, 0, ARG_REQUIRED, T_UINT, 0, "python", "the old default cache: bytes per item (65536)", NULL, F(cache_blocksize), 0 },
	{ "cache-store", NULL, 0, ARG_REQUIRED, T_STRING, 0, "python", "the old default cache: keep it in this file", NULL, F(cache_store), 0 },
	{ "spooler", NULL, 'Q', ARG_REQUIRED, T_LIST, 0, "python", "run uwsgi.spool() tasks from this directory (created if missing)", NULL, F(spooler), 0 },
	{ "spooler-processes", NULL, 0, ARG_REQUIRED, T_UINT, 0, "python", "spooler processes per spooler directory (1)", NULL, F(spooler_processes), 0 },
	{ "spooler-frequency", "spooler-freq", 0, ARG_REQUIRED, T_UINT, 0, "python", "seconds between two scans of a spooler directory (30)", NULL, F(spooler_frequency), 0 },
	{ "spooler-import", "spooler-pyimport spooler-py-import spooler-python-import", 0, ARG_REQUIRED, T_LIST, 0, "python", "import a Python module (or .py file) in the spooler processes", NULL, F(spooler_import), 0 },
	{ "mount", NULL, 0, ARG_REQUIRED, T_LIST, 0, "python", "another app: MOUNTPOINT=file.py (or module[:callable])", NULL, F(mount), 0 },
	{ "manage-script-name", NULL, 0, ARG_NONE, T_BOOL, 0, "python", "pick the mounted app by PATH_INFO's prefix, moved to SCRIPT_NAME", NULL, F(manage_script_name), 0 },
	{ "py-autoreload", "py-auto-reload python-autoreload python-auto-reload", 0, ARG_REQUIRED, T_UINT, 0, "python", "reload gracefully when a loaded module's file changes (checked every N seconds)", NULL, F(py_autoreload), 0 },
	{ "py-auto-reload-ignore", NULL, 0, ARG_REQUIRED, T_LIST, 0, "python", "a module py-autoreload does not watch", NULL, F(py_autoreload_ignore), 0 },
	{ "mule", NULL, 0, ARG_OPTIONAL, T_LIST, 0, "python", "a mule process: a message loop, or a program (file.py or module:callable)", NULL, F(mule), 0 },
	{ "mules", NULL, 0, ARG_REQUIRED, T_UINT, 0, "python", "this many more mule processes running the message loop", NULL, F(mules), 0 },
	{ "spooler-max-tasks", NULL, 0, ARG_REQUIRED, T_UINT, 0, "python", "recycle a spooler process after this many tasks", NULL, F(spooler_max_tasks), 0 },

	/* logging */
	{ "disable-logging", NULL, 'L', ARG_NONE, T_BOOL, 0, "logging", "no request log lines", NULL, F(disable_logging), 0 },
	{ "logto", NULL, 0, ARG_REQUIRED, T_STRING, 0, "logging", "append the log to this file", NULL, F(logto), 0 },
	{ "log-format", "logformat", 0, ARG_REQUIRED, T_STRING, 0, "logging", "request log line with uWSGI's %(var) variables (see docs/logging.md)", NULL, F(log_format), 0 },
	{ "logformat-strftime", "log-format-strftime", 0, ARG_NONE, T_BOOL, 0, "logging", "%(ftime) uses the log-date strftime format", NULL, F(logformat_strftime), 0 },
	{ "log-format-json", "logformat-json", 0, ARG_NONE, T_BOOL, 0, "logging", "JSON-escape every %(var) value; alone: one JSON object per request (Stockade extension)", NULL, F(log_format_json), 0 },
	{ "log-req-encoder", NULL, 0, ARG_REQUIRED, T_LIST, 0, "logging", "encode each request line: prefix|suffix TEXT, nl, format|json TEMPLATE with ${msg} ${unix} ${micros} ${millis} ${strftime:FMT}", NULL, F(log_req_encoder), 0 },
	{ "req-logger", "logger-req", 0, ARG_REQUIRED, T_LIST, 0, "logging", "request lines to file:PATH, stdio (with the other lines) or syslog[:ident[,facility]]; syslog or several request loggers imply log-master", NULL, F(req_logger), 0 },
	{ "log-date", "logdate", 0, ARG_OPTIONAL, T_STRING, 0, "logging", "prefix log lines with the date, or with this strftime format", NULL, F(log_date), 0 },
	{ "log-micros", NULL, 0, ARG_NONE, T_BOOL, 0, "logging", "default request line: response time in microseconds", NULL, F(log_micros), 0 },
	{ "log-x-forwarded-for", NULL, 0, ARG_NONE, T_BOOL, 0, "logging", "log the X-Forwarded-For header as the address", NULL, F(log_x_forwarded_for), 0 },
	{ "log-zero", NULL, 0, ARG_NONE, T_BOOL, 0, "logging", "with disable-logging: still log responses without a body", NULL, F(log_zero), 0 },
	{ "log-slow", NULL, 0, ARG_REQUIRED, T_UINT, 0, "logging", "with disable-logging: still log requests slower than N ms", NULL, F(log_slow), 0 },
	{ "log-4xx", NULL, 0, ARG_NONE, T_BOOL, 0, "logging", "with disable-logging: still log 4xx responses", NULL, F(log_4xx), 0 },
	{ "log-5xx", NULL, 0, ARG_NONE, T_BOOL, 0, "logging", "with disable-logging: still log 5xx responses", NULL, F(log_5xx), 0 },
	{ "log-big", NULL, 0, ARG_REQUIRED, T_UINT, 0, "logging", "with disable-logging: still log responses of N bytes or more", NULL, F(log_big), 0 },
	{ "log-sendfile", NULL, 0, ARG_NONE, T_BOOL, 0, "logging", "with disable-logging: still log responses sent with sendfile", NULL, F(log_sendfile), 0 },
	{ "log-ioerror", NULL, 0, ARG_NONE, T_BOOL, 0, "logging", "with disable-logging: still log requests with I/O errors", NULL, F(log_ioerror), 0 },
	{ "touch-logreopen", NULL, 0, ARG_REQUIRED, T_LIST, 0, "logging", "reopen the log file when this file's mtime changes", NULL, F(touch_logreopen), 0 },
	{ "log-reopen", NULL, 0, ARG_NONE, T_BOOL, 0, "logging", "reopen the log on reload (always done: accepted for uWSGI configs)", NULL, F(log_reopen), 0 },
	{ "log-backupname", NULL, 0, ARG_REQUIRED, T_STRING, 0, "logging", "rotation (log-maxsize, master-fifo L) renames the log to this (default <file>.<unix time>, made unique)", NULL, F(log_backupname), 0 },
	/* issue 19: logging (server/logmaster.c) */
	{ "log-master", NULL, 0, ARG_NONE, T_BOOL, 0, "logging", "workers and daemons send their log lines to the master, which alone writes the log (implies master)", NULL, F(log_master), 0 },
	{ "logger", NULL, 0, ARG_REQUIRED, T_LIST, 0, "logging", "[NAME ]file:PATH | stdio | syslog[:ident[,facility]] | systemd: where the log goes (a NAME makes it a log-route target only; implies log-master)", NULL, F(logger), 0 },
	{ "log-route", NULL, 0, ARG_REQUIRED, T_LIST, 0, "logging", "NAME REGEX: lines matching the POSIX regex go to the named logger only (implies log-master)", NULL, F(log_route), 0 },
	{ "log-maxsize", NULL, 0, ARG_REQUIRED, T_UINT, 0, "logging", "rotate the logto/daemonize file when it grows past N bytes (implies log-master: no line is lost or cut)", NULL, F(log_maxsize), 0 },
	{ "logfile-chown", NULL, 0, ARG_NONE, T_BOOL, 0, "logging", "chown the log files to the uid/gid options before privileges are dropped", NULL, F(logfile_chown), 0 },
	{ "logfile-chmod", NULL, 0, ARG_REQUIRED, T_STRING, 0, "logging", "chmod the logto/daemonize file (3 octal digits: 644)", NULL, F(logfile_chmod), 0 },
	{ "log-encoder", NULL, 0, ARG_REQUIRED, T_LIST, 0, "logging", "encode each log line as log-req-encoder does; KIND:NAME encodes only for the logger NAME (implies log-master)", NULL, F(log_encoder), 0 },
	{ "log-drain", NULL, 0, ARG_REQUIRED, T_LIST, 0, "logging", "drop log lines matching this POSIX regex (implies log-master)", NULL, F(log_drain), 0 },
	{ "log-filter", NULL, 0, ARG_REQUIRED, T_LIST, 0, "logging", "keep only log lines matching one of these POSIX regexes (implies log-master)", NULL, F(log_filter), 0 },

	/* static files, served before the app (server/static_files.c) */
	{ "static-map", NULL, 0, ARG_REQUIRED, T_LIST, 0, "static", "serve files for URLs under a mountpoint: /mountpoint=/dir (or =/file), tried in order", NULL, F(static_map), 0 },
	{ "static-map2", NULL, 0, ARG_REQUIRED, T_LIST, 0, "static", "like static-map, but the whole PATH_INFO is appended to the directory", NULL, F(static_map2), 0 },
	{ "static-index", NULL, 0, ARG_REQUIRED, T_LIST, 0, "static", "file to look for when a directory is requested, tried in order", NULL, F(static_index), 0 },
	{ "static-skip-ext", NULL, 0, ARG_REQUIRED, T_LIST, 0, "static", "never serve files ending with this (left to the app)", NULL, F(static_skip_ext), 0 },
	{ "static-safe", NULL, 0, ARG_REQUIRED, T_LIST, 0, "static", "allow files under this directory even outside the mapped one (symlink targets)", NULL, F(static_safe), 0 },
	{ "static-expires", NULL, 0, ARG_REQUIRED, T_LIST, 0, "static", "REGEX SECONDS: Expires for files whose real path matches", NULL, F(static_expires), 0 },
	{ "static-expires-uri", NULL, 0, ARG_REQUIRED, T_LIST, 0, "static", "REGEX SECONDS: Expires for requests whose REQUEST_URI matches", NULL, F(static_expires_uri), 0 },
	{ "static-expires-path-info", NULL, 0, ARG_REQUIRED, T_LIST, 0, "static", "REGEX SECONDS: Expires for requests whose PATH_INFO matches", NULL, F(static_expires_path_info), 0 },
	/* issue 19: static options (request_features/add_header.c) */
	{ "static-gzip-all", NULL, 0, ARG_NONE, T_BOOL, 0, "static", "send FILE.br or FILE.gz instead of a static FILE when it exists and the client accepts that encoding", NULL, F(static_gzip_all), 0 },
	{ "static-gzip-dir", "static-gzip-prefix", 0, ARG_REQUIRED, T_LIST, 0, "static", "as static-gzip-all, for files whose real path starts with this", NULL, F(static_gzip_dir), 0 },
	{ "static-gzip-ext", "static-gzip-suffix", 0, ARG_REQUIRED, T_LIST, 0, "static", "as static-gzip-all, for files whose name ends with this", NULL, F(static_gzip_ext), 0 },
	{ "check-static", "static-check", 0, ARG_REQUIRED, T_LIST, 0, "static", "serve DIR + PATH_INFO when that is a file (after the static-maps; as static-map2 = /=DIR)", NULL, F(check_static), 0 },
	{ "add-header", NULL, 0, ARG_REQUIRED, T_LIST, 0, "static", "'Name: value' header appended to every response of the app and of static files (repeatable)", NULL, F(add_header), 0 },
	{ "mimefile", "mime-file", 0, ARG_REQUIRED, T_STRING, 0, "static", "MIME types file read at start (default /etc/mime.types if present)", NULL, F(mimefile), 0 },

	/* issue 21: internal routing (request_features/route_rules.c, server/routes.c) */
	{ "route", NULL, 0, ARG_REQUIRED, T_LIST, OPT_KEYED, "routing", "REGEX ACTION: run ACTION when PATH_INFO matches the POSIX regex (docs/routing.md)", NULL, F(route_rules), 0 },
	{ "route-uri", NULL, 0, ARG_REQUIRED, T_LIST, OPT_KEYED, "routing", "REGEX ACTION: like route, on REQUEST_URI", NULL, F(route_rules), 0 },
	{ "route-qs", NULL, 0, ARG_REQUIRED, T_LIST, OPT_KEYED, "routing", "REGEX ACTION: like route, on QUERY_STRING", NULL, F(route_rules), 0 },
	{ "route-host", NULL, 0, ARG_REQUIRED, T_LIST, OPT_KEYED, "routing", "REGEX ACTION: like route, on HTTP_HOST", NULL, F(route_rules), 0 },
	{ "route-user-agent", NULL, 0, ARG_REQUIRED, T_LIST, OPT_KEYED, "routing", "REGEX ACTION: like route, on HTTP_USER_AGENT", NULL, F(route_rules), 0 },
	{ "route-remote-addr", NULL, 0, ARG_REQUIRED, T_LIST, OPT_KEYED, "routing", "REGEX ACTION: like route, on REMOTE_ADDR", NULL, F(route_rules), 0 },
	{ "route-if", NULL, 0, ARG_REQUIRED, T_LIST, OPT_KEYED, "routing", "COND:A[;B] ACTION: run ACTION when the condition holds (equal, startswith, endswith, contains, regexp, empty, isfile, isdir)", NULL, F(route_rules), 0 },
	{ "route-if-not", NULL, 0, ARG_REQUIRED, T_LIST, OPT_KEYED, "routing", "COND:A[;B] ACTION: run ACTION when the condition does not hold", NULL, F(route_rules), 0 },
	{ "route-run", NULL, 0, ARG_REQUIRED, T_LIST, OPT_KEYED, "routing", "ACTION: always run ACTION", NULL, F(route_rules), 0 },
	{ "route-label", NULL, 0, ARG_REQUIRED, T_LIST, OPT_KEYED, "routing", "NAME: a target for goto:NAME", NULL, F(route_rules), 0 },
	/* issue 21: response routes (server/routes.c), run when the response head is sent */
	{ "response-route", NULL, 0, ARG_REQUIRED, T_LIST, OPT_KEYED, "routing", "REGEX ACTION: on the response, when PATH_INFO matches (actions: addheader, delheader, log, donotlog, continue, last, goto, break, return)", NULL, F(route_rules), 0 },
	{ "response-route-status", NULL, 0, ARG_REQUIRED, T_LIST, OPT_KEYED, "routing", "NNN ACTION: on a response with status NNN", NULL, F(route_rules), 0 },
	{ "response-route-uri", NULL, 0, ARG_REQUIRED, T_LIST, OPT_KEYED, "routing", "REGEX ACTION: like response-route, on REQUEST_URI", NULL, F(route_rules), 0 },
	{ "response-route-qs", NULL, 0, ARG_REQUIRED, T_LIST, OPT_KEYED, "routing", "REGEX ACTION: like response-route, on QUERY_STRING", NULL, F(route_rules), 0 },
	{ "response-route-host", NULL, 0, ARG_REQUIRED, T_LIST, OPT_KEYED, "routing", "REGEX ACTION: like response-route, on HTTP_HOST", NULL, F(route_rules), 0 },
	{ "response-route-user-agent", NULL, 0, ARG_REQUIRED, T_LIST, OPT_KEYED, "routing", "REGEX ACTION: like response-route, on HTTP_USER_AGENT", NULL, F(route_rules), 0 },
	{ "response-route-remote-addr", NULL, 0, ARG_REQUIRED, T_LIST, OPT_KEYED, "routing", "REGEX ACTION: like response-route, on REMOTE_ADDR", NULL, F(route_rules), 0 },
	{ "response-route-if", NULL, 0, ARG_REQUIRED, T_LIST, OPT_KEYED, "routing", "COND:A[;B] ACTION: on the response, when the condition holds", NULL, F(route_rules), 0 },
	{ "response-route-if-not", NULL, 0, ARG_REQUIRED, T_LIST, OPT_KEYED, "routing", "COND:A[;B] ACTION: on the response, when the condition does not hold", NULL, F(route_rules), 0 },
	{ "response-route-run", NULL, 0, ARG_REQUIRED, T_LIST, OPT_KEYED, "routing", "ACTION: on every response", NULL, F(route_rules), 0 },
	{ "response-route-label", NULL, 0, ARG_REQUIRED, T_LIST, OPT_KEYED, "routing", "NAME: a target for a response rule's goto:NAME", NULL, F(route_rules), 0 },

	/* privileges */
	{ "uid", NULL, 0, ARG_REQUIRED, T_STRING, 0, "privileges", "drop to this user (name or number)", NULL, F(uid), 0 },
	{ "gid", NULL, 0, ARG_REQUIRED, T_STRING, 0, "privileges", "drop to this group (name or number)", NULL, F(gid), 0 },

	/* jails (FreeBSD jail(2)/jail_set(2); Linux namespaces) */
	{ "jail", NULL, 0, ARG_REQUIRED, T_STRING, 0, "jail", "create a jail: <rootfs> [hostname] [jailname]", NULL, F(jail), 0 },
	{ "jail-ip4", NULL, 0, ARG_REQUIRED, T_LIST, 0, "jail", "IPv4 address of the jail (repeatable)", NULL, F(jail_ip4), 0 },
	{ "jail-ip6", NULL, 0, ARG_REQUIRED, T_LIST, 0, "jail", "IPv6 address of the jail (repeatable)", NULL, F(jail_ip6), 0 },
	{ "jail2", "libjail", 0, ARG_REQUIRED, T_LIST, 0, "jail", "set a jail parameter: key[=value] (repeatable)", NULL, F(jail2), 0 },
	{ "jidfile", "jid-file", 0, ARG_REQUIRED, T_STRING, 0, "jail", "write the jail id to this file", NULL, F(jidfile), 0 },
	{ "jail-attach", NULL, 0, ARG_REQUIRED, T_STRING, 0, "jail", "run inside an existing jail (jid or name)", NULL, F(jail_attach), 0 },
	{ "jls", NULL, 0, ARG_NONE, T_BOOL, OPT_ACTION, "jail", "list the running jails as jls(8) does and exit; right after it: -v (every field), --json", NULL, F(jls), 0 },
	{ "jail-remove", NULL, 0, ARG_REQUIRED, T_STRING, OPT_ACTION, "jail", "stop a jail by jid or name (like jail -r) and exit", NULL, F(jail_remove), 0 },
	{ "jailed", NULL, 0, ARG_NONE, T_BOOL, 0, "jail", "run the post-jail phase even without a jail option", NULL, F(jailed), 0 },
	/* issue 23: jail-rctl and uWSGI's cgroup options (Linux) */
	{ "cgroup", NULL, 0, ARG_REQUIRED, T_LIST, 0, "jail", "put the instance in this cgroup directory, made when missing (Linux, root; repeatable)", NULL, F(cgroup), 0 },
	{ "cgroup-opt", NULL, 0, ARG_REQUIRED, T_LIST, 0, "jail", "write key=value into each cgroup's file key (repeatable)", NULL, F(cgroup_opt), 0 },
	{ "cgroup-dir-mode", NULL, 0, ARG_REQUIRED, T_STRING, 0, "jail", "mode of the cgroup directories (octal; default 0700)", NULL, F(cgroup_dir_mode), 0 },
	{ "jail-rctl", NULL, 0, ARG_REQUIRED, T_LIST, 0, "jail", "limit a resource of the jail: resource:action=amount, rctl(8) syntax, K/M/G suffixes (repeatable)", NULL, F(jail_rctl), 0 },

	/* hooks: hook-/mount-/umount-/exec-<phase> for every phase */
	HOOK_ROWS(PH_ASAP, "asap", "right after the configuration is read"),
	HOOK_ROWS(PH_PRE_JAIL, "pre-jail", "on the host, as root, before the jail (first start only)"),
	HOOK_ROWS(PH_IN_JAIL, "in-jail", "right after entering the jail, every start"),
	HOOK_ROWS(PH_POST_JAIL, "post-jail", "inside the jail, still root"),
	HOOK_ROWS(PH_AS_ROOT, "as-root", "as root, before privileges are dropped"),
	HOOK_ROWS(PH_AS_USER, "as-user", "after privileges are dropped"),
	HOOK_ROWS(PH_AS_USER_ATEXIT, "as-user-atexit", "when the master exits or reloads (failures only logged)"),
	HOOK_ROWS(PH_PRE_APP, "pre-app", "before the app is loaded"),
	HOOK_ROWS(PH_POST_APP, "post-app", "after the app is loaded"),
	HOOK_ROWS(PH_POST_FORK, "post-fork", "in each worker after fork"),
	HOOK_ROWS(PH_ACCEPTING, "accepting", "in each worker before it accepts"),
	HOOK_ROWS(PH_ACCEPTING1, "accepting1", "in worker 1 before it accepts"),
	HOOK_ROWS(PH_ACCEPTING_ONCE, "accepting-once", "in each worker before it first accepts"),
	HOOK_ROWS(PH_ACCEPTING1_ONCE, "accepting1-once", "in worker 1 before it first accepts"),
	HOOK_ROWS(PH_MASTER_START, "master-start", "when the master loop starts"),
	{ "binsh", NULL, 0, ARG_REQUIRED, T_LIST, 0, "hooks", "shell for exec- hooks (first executable entry; default /bin/sh)", NULL, F(binsh), 0 },

	/* lifecycle */
	{ "add-gid", NULL, 0, ARG_REQUIRED, T_LIST, 0, "privileges", "add a supplementary group (name or number)", NULL, F(add_gid), 0 },
	{ "no-initgroups", NULL, 0, ARG_NONE, T_BOOL, 0, "privileges", "do not add the user's groups from /etc/group", NULL, F(no_initgroups), 0 },
	{ "chroot", NULL, 0, ARG_REQUIRED, T_STRING, 0, "privileges", "chroot to this directory before dropping privileges", NULL, F(chroot_dir), 0 },
	{ "worker-reload-mercy", NULL, 0, ARG_REQUIRED, T_UINT, 0, "process", "seconds a worker may take to finish on reload/stop (then SIGKILL)", NULL, F(worker_reload_mercy), 0 },
	{ "reload-mercy", NULL, 0, ARG_REQUIRED, T_UINT, 0, "process", "seconds the master waits for workers on reload/stop", NULL, F(reload_mercy), 0 },
	{ "touch-reload", NULL, 0, ARG_REQUIRED, T_LIST, 0, "process", "reload gracefully when this file's mtime changes", NULL, F(touch_reload), 0 },
	{ "exit-on-reload", NULL, 0, ARG_NONE, T_BOOL, 0, "process", "exit instead of reloading", NULL, F(exit_on_reload), 0 },
	{ "master-fifo", NULL, 0, ARG_REQUIRED, T_LIST, 0, "process", "control fifo: r R q Q w ...", NULL, F(master_fifo), 0 },
	{ "pidfile2", NULL, 0, ARG_REQUIRED, T_STRING, 0, "process", "write the pid file after privileges are dropped", NULL, F(pidfile2), 0 },
	{ "safe-pidfile", NULL, 0, ARG_REQUIRED, T_STRING, 0, "process", "write the pid file atomically (rename)", NULL, F(safe_pidfile), 0 },
	{ "safe-pidfile2", NULL, 0, ARG_REQUIRED, T_STRING, 0, "process", "safe-pidfile after privileges are dropped", NULL, F(safe_pidfile2), 0 },
	{ "lazy", NULL, 0, ARG_NONE, T_BOOL, 0, "process", "load the app in workers; SIGHUP recycles workers only", NULL, F(lazy), 0 },
	{ "reload-on-rss", NULL, 0, ARG_REQUIRED, T_UINT, 0, "process", "recycle a worker whose RSS exceeds N MiB", NULL, F(reload_on_rss), 0 },
	{ "stats", "stats-server", 0, ARG_REQUIRED, T_STRING, 0, "process", "serve stats JSON on this address (tcp if it has ':')", NULL, F(stats), 0 },
	{ "stats-http", NULL, 0, ARG_NONE, T_BOOL, 0, "process", "prefix stats with an HTTP header", NULL, F(stats_http), 0 },
	{ "stats-minified", "stats-min", 0, ARG_NONE, T_BOOL, 0, "process", "minified stats JSON", NULL, F(stats_minified), 0 },
	/* issue 19: daemons and cron (server/daemons.c, server/cron.c) */
	{ "attach-daemon", NULL, 0, ARG_REQUIRED, T_LIST, 0, "daemons", "run this command (through binsh -c) beside the workers, inside the jail; restarted when it dies, stopped with the instance", NULL, F(attach_daemon), 0 },
	{ "attach-daemon2", NULL, 0, ARG_REQUIRED, T_LIST, 0, "daemons", "attach-daemon as key=value list: cmd, pidfile, daemonize, control, touch, stopsignal, reloadsignal, stdin, uid, gid, chdir, freq, notifypid, max_throttle", NULL, F(attach_daemon2), 0 },
	{ "smart-attach-daemon", NULL, 0, ARG_REQUIRED, T_LIST, 0, "daemons", "PIDFILE[,FREQ] COMMAND: a command that daemonizes itself and writes PIDFILE; respawned when that pid dies, kept across reloads", NULL, F(smart_attach_daemon), 0 },
	{ "smart-attach-daemon2", NULL, 0, ARG_REQUIRED, T_LIST, 0, "daemons", "PIDFILE[,FREQ] COMMAND: as smart-attach-daemon, Stockade daemonizes the command and writes PIDFILE", NULL, F(smart_attach_daemon2), 0 },
	{ "attach-control-daemon", NULL, 0, ARG_REQUIRED, T_LIST, 0, "daemons", "attach-daemon whose death stops the instance", NULL, F(attach_control_daemon), 0 },
	{ "daemons-honour-stdin", NULL, 0, ARG_NONE, T_BOOL, 0, "daemons", "daemons keep the master's stdin (default /dev/null)", NULL, F(daemons_honour_stdin), 0 },
	{ "cron", NULL, 0, ARG_REQUIRED, T_LIST, 0, "daemons", "MIN HOUR DAY MONTH WEEKDAY COMMAND: run the command at those times (-1 any, -N every N)", NULL, F(cron), 0 },
	{ "cron2", NULL, 0, ARG_REQUIRED, T_LIST, 0, "daemons", "minute=,hour=,day=,month=,week=,unique= COMMAND (missing keys: -1)", NULL, F(cron2), 0 },
	{ "unique-cron", NULL, 0, ARG_REQUIRED, T_LIST, 0, "daemons", "as cron, but never started while its last run is still running", NULL, F(unique_cron), 0 },
	/* issue 19: part 4 (server/cron.c, server/map_socket.c, request_features/static_cache_paths.c) */
	{ "cron-harakiri", NULL, 0, ARG_REQUIRED, T_UINT, 0, "daemons", "SIGKILL a cron command's process group once it has run N seconds (cron2's harakiri= overrides; 0 off)", NULL, F(cron_harakiri), 0 },
	{ "map-socket", NULL, 0, ARG_REQUIRED, T_LIST, 0, "socket", "SOCKET:WORKER[,WORKER...]: only these workers accept on socket number SOCKET (0 = the first socket in config order); others close it", NULL, F(map_socket), 0 },
	{ "static-cache-paths", NULL, 0, ARG_REQUIRED, T_UINT, 0, "static", "keep each static file's resolved real path in the cache for N seconds (needs a cache: cache2 or cache)", NULL, F(static_cache_paths), 0 },
	{ "reaper", NULL, 'r', ARG_NONE, T_BOOL, 0, "process", "after each request a worker collects its exited child processes (waitpid(-1) until none)", NULL, F(reaper), 0 },
	{ "reload-on-exception", NULL, 0, ARG_NONE, T_BOOL, 0, "process", "a worker whose app raises exits at once (status 5) and is respawned; the request gets no further answer", NULL, F(reload_on_exception), 0 },
	{ "mule-reload-mercy", NULL, 0, ARG_REQUIRED, T_UINT, 0, "python", "seconds a mule may take to stop or reload before SIGKILL (default: worker-reload-mercy)", NULL, F(mule_reload_mercy), 0 },
	{ "abstract-socket", NULL, 'a', ARG_NONE, T_BOOL, 0, "socket", "bind unix socket paths in the abstract namespace under that name (Linux only; no file: no chmod/chown/vacuum)", NULL, F(abstract_socket), 0 },
	{ "socket-write-timeout", "so-send-timeout socket-send-timeout so-write-timeout", 0, ARG_OPTIONAL, T_STRING, 0, "socket", "SO_SNDTIMEO of TCP listeners and their connections, in seconds (alone on the command line: 1)", NULL, F(socket_write_timeout), 0 },
	{ "write-errors-tolerance", NULL, 0, ARG_REQUIRED, T_UINT, 0, "python", "write errors a request tolerates before the app is stopped; as uWSGI counts only the first, 1 or more means the app always runs to its end and write() never raises (default 0)", NULL, F(write_errors_tolerance), 0 },
	{ "logto2", NULL, 0, ARG_REQUIRED, T_STRING, 0, "logging", "log to this file from the privilege drop on (opened as uid/gid, inside the jail or chroot); before it, to logto or stderr", NULL, F(logto2), 0 },
	{ "no-default-app", NULL, 0, ARG_NONE, T_BOOL, 0, "python", "no fallback app: a request whose SCRIPT_NAME matches no mount (and is not empty for the wsgi-file/module app) gets a 500", NULL, F(no_default_app), 0 },
	{ "eval", NULL, 0, ARG_REQUIRED, T_STRING, 0, "python", "Python code run as module uwsgi_eval_config whose `callable` (application) is the app, when there is no wsgi-file or module", NULL, F(eval), 0 },
	{ "pymodule-alias", NULL, 0, ARG_REQUIRED, T_LIST, 0, "python", "NAME=MODULE or NAME=/path/file.py: `import NAME` gives that module (or that file run as NAME), set before the app and imports load", NULL, F(pymodule_alias), 0 },
	{ "wsgi-env-behaviour", "wsgi-env-behavior", 0, ARG_REQUIRED, T_STRING, 0, "python", "holy: already so (a new environ dict for every request); cheat (one dict reused and cleared) refuses the start", NULL, F(wsgi_env_behaviour), 0 },
	{ "static-cache-paths-name", NULL, 0, ARG_REQUIRED, T_STRING, 0, "static", "the cache (by name) static-cache-paths uses (default: the first cache)", NULL, F(static_cache_paths_name), 0 },
	/* issue 19: process options */
	{ "max-worker-lifetime", NULL, 0, ARG_REQUIRED, T_UINT, 0, "process", "recycle a worker gracefully once it has run N seconds", NULL, F(max_worker_lifetime), 0 },
	{ "max-worker-lifetime-delta", NULL, 0, ARG_REQUIRED, T_UINT, 0, "process", "worker N may run (N-1) * this many seconds longer than max-worker-lifetime", NULL, F(max_worker_lifetime_delta), 0 },
	{ "reload-on-as", NULL, 0, ARG_REQUIRED, T_UINT, 0, "process", "recycle a worker gracefully once its address space reaches N MiB", NULL, F(reload_on_as), 0 },
	{ "evil-reload-on-rss", NULL, 0, ARG_REQUIRED, T_UINT, 0, "process", "kill (SIGKILL) and respawn a worker whose RSS reaches N MiB", NULL, F(evil_reload_on_rss), 0 },
	{ "evil-reload-on-as", NULL, 0, ARG_REQUIRED, T_UINT, 0, "process", "kill (SIGKILL) and respawn a worker whose address space reaches N MiB", NULL, F(evil_reload_on_as), 0 },
	{ "limit-as", NULL, 0, ARG_REQUIRED, T_UINT, 0, "process", "limit the address space of the master and workers to N MiB (RLIMIT_AS): a bigger allocation fails (MemoryError)", NULL, F(limit_as), 0 },
	{ "max-fd", NULL, 0, ARG_REQUIRED, T_UINT, 0, "process", "set the open files limit (RLIMIT_NOFILE) to N; raising it needs root", NULL, F(max_fd), 0 },
	{ "auto-procname", NULL, 0, ARG_NONE, T_BOOL, 0, "process", "name the processes \"uWSGI master\" and \"uWSGI worker N\" (ps, /proc/<pid>/cmdline)", NULL, F(auto_procname), 0 },
	{ "procname", NULL, 0, ARG_REQUIRED, T_STRING, 0, "process", "name the processes this (the master too unless procname-master)", NULL, F(procname), 0 },
	{ "procname-prefix", NULL, 0, ARG_REQUIRED, T_STRING, 0, "process", "put this before every process name", NULL, F(procname_prefix), 0 },
	{ "procname-prefix-spaced", NULL, 0, ARG_REQUIRED, T_STRING, 0, "process", "put this and a space before every process name", NULL, F(procname_prefix_spaced), 0 },
	{ "procname-append", NULL, 0, ARG_REQUIRED, T_STRING, 0, "process", "put this after every process name", NULL, F(procname_append), 0 },
	{ "procname-master", NULL, 0, ARG_REQUIRED, T_STRING, 0, "process", "name the master process this", NULL, F(procname_master), 0 },
	{ "harakiri-verbose", NULL, 0, ARG_NONE, T_BOOL, 0, "process", "on harakiri, log the worker's system call and wchan first (Linux)", NULL, F(harakiri_verbose), 0 },
	{ "honour-stdin", NULL, 0, ARG_NONE, T_BOOL, 0, "process", "keep stdin (by default it is /dev/null, as in uWSGI)", NULL, F(honour_stdin), 0 },
	{ "disable-write-exception", NULL, 0, ARG_NONE, T_BOOL, 0, "python", "the write() callable returns None when the client is gone instead of raising OSError", NULL, F(disable_write_exception), 0 },
	{ "memory-report", NULL, 'm', ARG_NONE, T_BOOL, 0, "logging", "workers measure their memory after each request (stats, %(rss) %(vsz)); the default request line starts with it", NULL, F(memory_report), 0 },
	{ "touch-chain-reload", NULL, 0, ARG_REQUIRED, T_LIST, 0, "process", "chain reload when this file's mtime changes: workers recycled one at a time, the next once the new one accepts (master fifo 'c' too)", NULL, F(touch_chain_reload), 0 },
	/* issue 23: cheaper, idle and cheap mode, on-demand vassals */
	{ "cheaper", NULL, 0, ARG_REQUIRED, T_UINT, 0, "process", "adaptive workers: keep at least N workers, spawn more up to processes as the load asks (implies a master)", NULL, F(cheaper), 0 },
	{ "cheaper-initial", NULL, 0, ARG_REQUIRED, T_UINT, 0, "process", "cheaper: workers spawned at start (default: cheaper)", NULL, F(cheaper_initial), 0 },
	{ "cheaper-step", NULL, 0, ARG_REQUIRED, T_UINT, 0, "process", "cheaper: workers spawned at a time when more are needed (default 1)", NULL, F(cheaper_step), 0 },
	{ "cheaper-algo", NULL, 0, ARG_REQUIRED, T_STRING, 0, "process", "cheaper algorithm: spare (default), spare2, busyness, backlog, manual", NULL, F(cheaper_algo), 0 },
	{ "cheaper-overload", NULL, 0, ARG_REQUIRED, T_UINT, 0, "process", "cheaper: seconds of overload before spawning (spare, busyness period), or the listen queue threshold (backlog) (default 3)", NULL, F(cheaper_overload), 0 },
	{ "cheaper-idle", NULL, 0, ARG_REQUIRED, T_UINT, 0, "process", "cheaper spare2: seconds with too many idle workers before one is stopped (default 10)", NULL, F(cheaper_idle), 0 },
	{ "cheaper-rss-limit-soft", NULL, 0, ARG_REQUIRED, T_UINT, 0, "process", "cheaper: spawn no more workers while their total RSS is at least this many bytes", NULL, F(cheaper_rss_limit_soft), 0 },
	{ "cheaper-rss-limit-hard", NULL, 0, ARG_REQUIRED, T_UINT, 0, "process", "cheaper: stop a worker while their total RSS is at least this many bytes (needs the soft limit)", NULL, F(cheaper_rss_limit_hard), 0 },
	{ "cheaper-busyness-max", NULL, 0, ARG_REQUIRED, T_UINT, 0, "process", "busyness: average busy percent above which workers are added (default 50)", NULL, F(busyness_max), 0 },
	{ "cheaper-busyness-min", NULL, 0, ARG_REQUIRED, T_UINT, 0, "process", "busyness: average busy percent below which a worker is stopped (default 25)", NULL, F(busyness_min), 0 },
	{ "cheaper-busyness-multiplier", NULL, 0, ARG_REQUIRED, T_UINT, 0, "process", "busyness: a worker is stopped after cheaper-overload * this many idle seconds (default 10)", NULL, F(busyness_multiplier), 0 },
	{ "cheaper-busyness-penalty", NULL, 0, ARG_REQUIRED, T_UINT, 0, "process", "busyness: added to the multiplier when a stopped worker is needed again soon (default 2)", NULL, F(busyness_penalty), 0 },
	{ "cheaper-busyness-verbose", NULL, 0, ARG_NONE, T_BOOL, 0, "process", "busyness: log each measurement", NULL, F(busyness_verbose), 0 },
	{ "cheaper-busyness-backlog-alert", NULL, 0, ARG_REQUIRED, T_UINT, 0, "process", "busyness: spawn emergency workers when the listen queue exceeds this (default 33)", NULL, F(busyness_backlog_alert), 0 },
	{ "cheaper-busyness-backlog-multiplier", NULL, 0, ARG_REQUIRED, T_UINT, 0, "process", "busyness: multiplier for stopping emergency workers (default 3)", NULL, F(busyness_backlog_multiplier), 0 },
	{ "cheaper-busyness-backlog-step", NULL, 0, ARG_REQUIRED, T_UINT, 0, "process", "busyness: emergency workers spawned at a time (default 1)", NULL, F(busyness_backlog_step), 0 },
	{ "cheaper-busyness-backlog-nonzero", NULL, 0, ARG_REQUIRED, T_UINT, 0, "process", "busyness: spawn an emergency worker when the listen queue stays non-empty for N seconds (default 60)", NULL, F(busyness_backlog_nonzero), 0 },
	{ "cheap", NULL, 0, ARG_NONE, T_BOOL, 0, "process", "spawn the workers only when the first connection arrives (implies a master)", NULL, F(cheap), 0 },
	{ "idle", NULL, 0, ARG_REQUIRED, T_UINT, 0, "process", "after N seconds without a request stop the workers (cheap mode: the next connection respawns them)", NULL, F(idle), 0 },
	{ "die-on-idle", NULL, 0, ARG_NONE, T_BOOL, 0, "process", "with idle: exit instead (a vassal asks its Emperor to stop it; an on-demand one goes back to waiting)", NULL, F(die_on_idle), 0 },
	{ "emperor-on-demand-directory", "emperor-on-demand-dir", 0, ARG_REQUIRED, T_STRING, 0, "emperor", "on-demand vassals: the Emperor binds <dir>/<vassal name>.socket and spawns the vassal on its first connection", NULL, F(emperor_on_demand_directory), 0 },
	{ "emperor-on-demand-extension", "emperor-on-demand-ext", 0, ARG_REQUIRED, T_STRING, 0, "emperor", "on-demand vassals: the socket address is the first line of <vassal file><ext>", NULL, F(emperor_on_demand_extension), 0 },
	{ "emperor-on-demand-exec", NULL, 0, ARG_REQUIRED, T_STRING, 0, "emperor", "on-demand vassals: the socket address is the first line this command prints (vassal file as its argument)", NULL, F(emperor_on_demand_exec), 0 },

	/* forkpty router */
	{ "forkpty-router", "forkptyrouter", 0, ARG_REQUIRED, T_LIST, 0, "pty", "forkpty router on this address, raw mode (bound on the host, before the jail)", NULL, F(forkpty_router), 0 },
	{ "forkpty-urouter", "forkptyurouter", 0, ARG_REQUIRED, T_LIST, 0, "pty", "forkpty router on this address, uwsgi mode (framed input: data, rows, cols, signals)", NULL, F(forkpty_urouter), 0 },
	{ "forkptyrouter-command", "forkptyrouter-cmd forkpty-router-command forkpty-router-cmd", 0, ARG_REQUIRED, T_STRING, 0, "pty", "command run on each pty (default /bin/sh; with a space: through binsh -c)", NULL, F(forkpty_command), 0 },
	{ "forkptyrouter-rows", NULL, 0, ARG_REQUIRED, T_UINT, 0, "pty", "initial pty rows (default 24)", NULL, F(forkpty_rows), 0 },
	{ "forkptyrouter-cols", NULL, 0, ARG_REQUIRED, T_UINT, 0, "pty", "initial pty columns (default 80)", NULL, F(forkpty_cols), 0 },
	{ "forkptyrouter-timeout", NULL, 0, ARG_REQUIRED, T_UINT, 0, "pty", "close a pty session idle for N seconds (default 0: never)", NULL, F(forkpty_timeout), 0 },
	{ "pty-connect", NULL, 0, ARG_REQUIRED, T_STRING, OPT_ACTION, "pty", "attach this terminal to a raw forkpty router and exit", NULL, F(pty_connect), 0 },
	{ "pty-uconnect", NULL, 0, ARG_REQUIRED, T_STRING, OPT_ACTION, "pty", "attach this terminal to a uwsgi-mode forkpty router (resize, signals) and exit", NULL, F(pty_uconnect), 0 },

	/* issue 21: HTTP router */
	{ "http", "httprouter", 0, ARG_REQUIRED, T_LIST, 0, "router", "HTTP router on this address, in front of the workers (bound on the host, before the jail)", NULL, F(http), 0 },
	{ "http-to", NULL, 0, ARG_REQUIRED, T_LIST, 0, "router", "backend (uwsgi protocol) for the HTTP router; repeat for round-robin (default: the first uwsgi socket, 127.0.0.1:0 if none)", NULL, F(http_to), 0 },
	{ "http-processes", "http-workers", 0, ARG_REQUIRED, T_UINT, 0, "router", "HTTP router processes (default 1)", NULL, F(http_processes), 0 },
	{ "http-keepalive", NULL, 0, ARG_OPTIONAL, T_BOOL, 0, "router", "keep HTTP/1.1 client connections open between requests", NULL, F(http_keepalive), 0 },
	{ "http-auto-chunked", NULL, 0, ARG_NONE, T_BOOL, 0, "router", "chunk responses of unknown length to keep the connection alive", NULL, F(http_auto_chunked), 0 },
	{ "http-timeout", NULL, 0, ARG_REQUIRED, T_UINT, 0, "router", "HTTP router socket timeout in seconds (default 60)", NULL, F(http_timeout), 0 },
	{ "http-headers-timeout", NULL, 0, ARG_REQUIRED, T_UINT, 0, "router", "seconds to receive a request head, and idle keep-alive limit (default http-timeout)", NULL, F(http_headers_timeout), 0 },
	{ "http-connect-timeout", NULL, 0, ARG_REQUIRED, T_UINT, 0, "router", "seconds to connect to a backend (default http-timeout)", NULL, F(http_connect_timeout), 0 },
	{ "http-buffer-size", NULL, 0, ARG_REQUIRED, T_UINT, 0, "router", "largest request head the HTTP router accepts (default 4096)", NULL, F(http_buffer_size), 0 },
	{ "http-manage-expect", NULL, 0, ARG_OPTIONAL, T_STRING, 0, "router", "answer Expect: 100-continue in the router; with N > 1, 417 for a body over N bytes", NULL, F(http_manage_expect), 0 },
	{ "http-var", NULL, 0, ARG_REQUIRED, T_LIST, 0, "router", "add KEY=VALUE to every request the HTTP router forwards", NULL, F(http_var), 0 },
	{ "http-modifier1", NULL, 0, ARG_REQUIRED, T_UINT, 0, "router", "uwsgi modifier1 of forwarded requests (default 0)", NULL, F(http_modifier1), 0 },
	{ "http-modifier2", NULL, 0, ARG_REQUIRED, T_UINT, 0, "router", "uwsgi modifier2 of forwarded requests (default 0)", NULL, F(http_modifier2), 0 },
	{ "http-enable-proxy-protocol", NULL, 0, ARG_OPTIONAL, T_BOOL, 0, "router", "accept a PROXY v1/v2 header from a load balancer: it sets REMOTE_ADDR and REMOTE_PORT", NULL, F(http_enable_proxy_protocol), 0 },
	{ "http-subscription-server", NULL, 0, ARG_REQUIRED, T_LIST, 0, "router", "receive subscription datagrams (udp ip:port or a unix path) on this address: requests are routed by Host to the subscribed nodes", NULL, F(http_subscription_server), 0 },
	{ "subscription-tolerance", NULL, 0, ARG_REQUIRED, T_UINT, 0, "router", "a subscribed node not announced for N seconds is dropped (default 17)", NULL, F(subscription_tolerance), 0 },
	{ "subscribe-to", "st subscribe", 0, ARG_REQUIRED, T_LIST, 0, "router", "announce this instance to a subscription server: server:key[,modifier1] or address=server:key", NULL, F(subscribe_to), 0 },
	{ "subscribe2", NULL, 0, ARG_REQUIRED, T_LIST, 0, "router", "announce with key=value items: server, key, addr, weight, modifier1", NULL, F(subscribe2), 0 },
	{ "subscribe-freq", NULL, 0, ARG_REQUIRED, T_UINT, 0, "router", "seconds between announces (default 10)", NULL, F(subscribe_freq), 0 },
	{ "unsubscribe-on-graceful-reload", NULL, 0, ARG_NONE, T_BOOL, 0, "router", "unsubscribe on a graceful reload too (always on stop)", NULL, F(unsubscribe_on_graceful_reload), 0 },
	{ "http-stats", "http-stats-server http-ss", 0, ARG_REQUIRED, T_STRING, 0, "router", "serve the router's stats JSON (uWSGI's corerouter layout: nodes, keys, requests, failures) on this address", NULL, F(http_stats), 0 },
	{ "fastrouter", NULL, 0, ARG_REQUIRED, T_LIST, 0, "router", "router for uwsgi-protocol clients (nginx uwsgi_pass) on this address, keyed by UWSGI_FASTROUTER_KEY, HTTP_HOST or SERVER_NAME", NULL, F(fastrouter), 0 },
	{ "fastrouter-to", NULL, 0, ARG_REQUIRED, T_LIST, 0, "router", "static backend of the fastrouter; repeat for round-robin", NULL, F(fastrouter_to), 0 },
	{ "fastrouter-subscription-server", NULL, 0, ARG_REQUIRED, T_LIST, 0, "router", "the fastrouter's subscription server (udp ip:port or a unix path)", NULL, F(fastrouter_subscription_server), 0 },
	{ "fastrouter-timeout", NULL, 0, ARG_REQUIRED, T_UINT, 0, "router", "fastrouter socket timeout in seconds (default 60)", NULL, F(fastrouter_timeout), 0 },
	{ "fastrouter-stats", "fastrouter-stats-server fastrouter-ss", 0, ARG_REQUIRED, T_STRING, 0, "router", "serve the fastrouter's stats JSON on this address", NULL, F(fastrouter_stats), 0 },
	{ "http-gracetime", NULL, 0, ARG_REQUIRED, T_UINT, 0, "router", "seconds before a dead http-to backend is tried again (default 30)", NULL, F(http_gracetime), 0 },
	/* issue 21: signed subscriptions */
	{ "subscriptions-sign-check", NULL, 0, ARG_REQUIRED, T_STRING, 0, "router", "DIGEST:DIR: accept only subscriptions signed by the key's owner, checked against DIR/<key>.pem (a public key); unsigned, badly signed, unknown-key and replayed packets are logged and dropped", NULL, F(subscriptions_sign_check), 0 },
	{ "subscriptions-sign-check-tolerance", NULL, 0, ARG_REQUIRED, T_UINT, 0, "router", "seconds a signed subscription's unix time may differ from the router's clock (default 86400)", NULL, F(subscriptions_sign_check_tolerance), 0 },
	{ "subscriptions-use-credentials", NULL, 0, ARG_NONE, T_BOOL, 0, "router", "get the sender's uid of each datagram on a unix subscription server from the kernel (Linux SCM_CREDENTIALS)", NULL, F(subscriptions_use_credentials), 0 },
	{ "subscriptions-sign-skip-uid", NULL, 0, ARG_REQUIRED, T_LIST, 0, "router", "UID: with subscriptions-use-credentials, announces sent by this uid (not 0) need no signature", NULL, F(subscriptions_sign_skip_uid), 0 },

	/* emperor */
	{ "emperor", NULL, 0, ARG_REQUIRED, T_LIST, 0, "emperor", "be the Emperor of the vassal files (*.ini, *.json) in this directory or glob (repeatable)", NULL, F(emperor), 0 },
	{ "emperor-extra-extension", NULL, 0, ARG_REQUIRED, T_LIST, 0, "emperor", "also take files ending in this as vassals (started with --config)", NULL, F(emperor_extra_extension), 0 },
	{ "emperor-freq", NULL, 0, ARG_REQUIRED, T_UINT, 0, "emperor", "seconds between full rescans of the vassal files (default 3)", NULL, F(emperor_freq), 0 },
	{ "emperor-throttle", NULL, 0, ARG_REQUIRED, T_UINT, 0, "emperor", "spawn throttle step in ms (default 1000)", NULL, F(emperor_throttle), 0 },
	{ "emperor-max-throttle", NULL, 0, ARG_REQUIRED, T_UINT, 0, "emperor", "maximum throttle of a crash-looping vassal in ms (default 180000)", NULL, F(emperor_max_throttle), 0 },
	{ "emperor-curse-tolerance", NULL, 0, ARG_REQUIRED, T_UINT, 0, "emperor", "seconds a stopped vassal may take to exit before SIGKILL (default 30)", NULL, F(emperor_curse_tolerance), 0 },
	{ "emperor-required-heartbeat", NULL, 0, ARG_REQUIRED, T_UINT, 0, "emperor", "kill and respawn a vassal whose heartbeats stop for N seconds (default 30)", NULL, F(emperor_required_heartbeat), 0 },
	{ "emperor-graceful-shutdown", NULL, 0, ARG_NONE, T_BOOL, 0, "emperor", "stop vassals gracefully (message 2) instead of message 0", NULL, F(emperor_graceful_shutdown), 0 },
	{ "emperor-no-blacklist", NULL, 0, ARG_NONE, T_BOOL, 0, "emperor", "never blacklist vassals that die before they are loyal", NULL, F(emperor_no_blacklist), 0 },
	{ "emperor-nofollow", NULL, 0, ARG_NONE, T_BOOL, 0, "emperor", "a symlinked vassal reloads when the link changes, not its target", NULL, F(emperor_nofollow), 0 },
	{ "emperor-tyrant", NULL, 0, ARG_NONE, T_BOOL, 0, "emperor", "run each vassal as the owner of its file (root-owned files are refused)", NULL, F(emperor_tyrant), 0 },
	{ "emperor-tyrant-nofollow", NULL, 0, ARG_NONE, T_BOOL, 0, "emperor", "tyrant: the owner of a symlink itself, not of its target", NULL, F(emperor_tyrant_nofollow), 0 },
	{ "emperor-tyrant-initgroups", NULL, 0, ARG_NONE, T_BOOL, 0, "emperor", "tyrant: give vassals their owner's supplementary groups", NULL, F(emperor_tyrant_initgroups), 0 },
	{ "emperor-tyrant-jail", NULL, 0, ARG_NONE, T_BOOL, 0, "emperor", "tyrant: start vassals as root so that they can jail themselves; they drop to the owner inside the jail (Stockade extension)", NULL, F(emperor_tyrant_jail), 0 },
	{ "emperor-tyrant-owner", NULL, 0, ARG_REQUIRED, T_STRING, 0, "emperor", "internal: uid:gid of a tyrant-jail vassal, read only from STOCKADE_EMPEROR_TYRANT_OWNER in the environment", NULL, NOF, 0 },
	{ "emperor-stats", "emperor-stats-server", 0, ARG_REQUIRED, T_STRING, 0, "emperor", "serve the Emperor's stats JSON on this address (tcp if it has ':')", NULL, F(emperor_stats), 0 },
	{ "emperor-pidfile", NULL, 0, ARG_REQUIRED, T_STRING, 0, "emperor", "write the Emperor's pid to this file", NULL, F(emperor_pidfile), 0 },
	{ "emperor-pg-node", NULL, 0, ARG_REQUIRED, T_STRING, 0, "emperor", "pg:// monitor: this Emperor's node name, $1 of the query (default: the host name)", NULL, F(emperor_pg_node), 0 },
	{ "emperor-pg-channel", NULL, 0, ARG_REQUIRED, T_STRING, 0, "emperor", "pg:// monitor: LISTEN on this channel, a NOTIFY rescans at once (default stockade_vassals; empty: rescans only)", NULL, F(emperor_pg_channel), 0 },
	{ "vassals-inherit", NULL, 0, ARG_REQUIRED, T_LIST, 0, "emperor", "add --inherit FILE after each vassal's config", NULL, F(vassals_inherit), 0 },
	{ "vassals-include", NULL, 0, ARG_REQUIRED, T_LIST, 0, "emperor", "add --include FILE after each vassal's config", NULL, F(vassals_include), 0 },
	{ "vassals-inherit-before", NULL, 0, ARG_REQUIRED, T_LIST, 0, "emperor", "add --inherit FILE before each vassal's config", NULL, F(vassals_inherit_before), 0 },
	{ "vassals-include-before", NULL, 0, ARG_REQUIRED, T_LIST, 0, "emperor", "add --include FILE before each vassal's config", NULL, F(vassals_include_before), 0 },
	{ "vassals-set", "vassal-set", 0, ARG_REQUIRED, T_LIST, 0, "emperor", "add --set KEY=VALUE before each vassal's config", NULL, F(vassals_set), 0 },
	{ "heartbeat", NULL, 0, ARG_REQUIRED, T_UINT, 0, "emperor", "vassal: send a heartbeat to the Emperor every N seconds", NULL, F(heartbeat), 0 },
	HOOK_ROWS(PH_AS_VASSAL, "as-vassal", "in the Emperor's child, just before it runs a vassal"),
	HOOK_ROWS(PH_AS_EMPEROR, "as-emperor", "in the Emperor after spawning a vassal (env UWSGI_VASSAL_CONFIG/PID/UID/GID; failures only logged)"),
	HOOK_ROWS(PH_EMPEROR_START, "emperor-start", "when the Emperor starts"),
	HOOK_ROWS(PH_EMPEROR_STOP, "emperor-stop", "in a vassal told to stop by its Emperor (failures only logged)"),
	HOOK_ROWS(PH_EMPEROR_RELOAD, "emperor-reload", "in a vassal told to reload by its Emperor (failures only logged)"),
	HOOK_ROWS(PH_EMPEROR_LOST, "emperor-lost", "in a vassal that lost its Emperor (failures only logged)"),

	/*
	 * uWSGI options Stockade already obeys without being told: accepted with
	 * no effect, the help text says why. Every other uWSGI option this table
	 * lacks refuses the start (config/uwsgi_compat.c).
	 */
	{ "plugins", "plugin", 0, ARG_REQUIRED, T_LIST, OPT_PLUGINS, "uwsgi", "uWSGI plugins to load: Stockade has python3 (WSGI), logfile, forkptyrouter built in, and accepts http and router_* (their options are checked one by one); any other plugin refuses the start", NULL, NOF, 0 },
	{ "plugins-dir", "plugin-dir", 0, ARG_REQUIRED, T_LIST, SO, "uwsgi", "already so: the plugins Stockade has are built in, no directory is searched", NULL, NOF, 0 },
	{ "die-on-term", NULL, 0, ARG_NONE, T_BOOL, SO, "uwsgi", "already so: SIGTERM stops the instance (uWSGI 2.0 reloads on SIGTERM unless die-on-term is set); SIGHUP reloads", NULL, NOF, 0 },
	{ "thunder-lock", NULL, 0, ARG_NONE, T_BOOL, SO, "uwsgi", "already so: on Linux workers wait on the listeners with EPOLLEXCLUSIVE, so one worker is woken per connection; on FreeBSD every idle worker wakes and one wins the non-blocking accept", NULL, NOF, 0 },
	{ "single-interpreter", NULL, 0, ARG_NONE, T_BOOL, SO, "uwsgi", "already so: Stockade runs the app in the main Python interpreter and never creates sub-interpreters", NULL, NOF, 0 },
	{ "need-app", NULL, 0, ARG_NONE, T_BOOL, SO, "uwsgi", "already so: a failed app load stops the start with status 22 (with lazy-apps the worker exits 22 and is respawned with back-off)", NULL, NOF, 0 },
	{ "no-orphans", NULL, 0, ARG_NONE, T_BOOL, SO, "uwsgi", "already so: every worker gets SIGTERM when its master dies (parent-death signal on Linux and FreeBSD)", NULL, NOF, 0 },
	{ "ignore-sigpipe", NULL, 0, ARG_NONE, T_BOOL, SO, "uwsgi", "already so: workers ignore SIGPIPE and report nothing; a write to a closed client is an error return", NULL, NOF, 0 },
	{ "py-call-osafterfork", NULL, 0, ARG_NONE, T_BOOL, SO, "uwsgi", "already so: each worker forked after the app is loaded calls PyOS_AfterFork_Child()", NULL, NOF, 0 },
	{ "close-on-exec", NULL, 0, ARG_NONE, T_BOOL, SO, "uwsgi", "already so: client connections are accepted with SOCK_CLOEXEC", NULL, NOF, 0 },
	/* issue 19: already so */
	{ "ignore-write-errors", NULL, 0, ARG_NONE, T_BOOL, SO, "uwsgi", "already so: a write to a client that is gone is not logged (the request line still says what was sent)", NULL, NOF, 0 },
};

const size_t option_count = sizeof(option_table) / sizeof(option_table[0]);

static bool
alias_matches(const char *aliases, const char *name)
{
	size_t n = strlen(name);
	const char *p = aliases;
	while (p && *p) {
		const char *end = strchr(p, ' ');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == n && memcmp(p, name, n) == 0)
			return true;
		p = end ? end + 1 : NULL;
	}
	return false;
}

const struct option_def *
option_find(const char *name)
{
	for (size_t i = 0; i < option_count; i++) {
		const struct option_def *o = &option_table[i];
		if (strcmp(o->name, name) == 0 || alias_matches(o->aliases, name))
			return o;
	}
	return NULL;
}

const struct option_def *
option_find_short(char c)
{
	for (size_t i = 0; i < option_count; i++)
		if (option_table[i].short_opt == c)
			return &option_table[i];
	return NULL;
}

const char *
option_suggest(const char *name)
{
	return closest_name(name, suggest_distance(name), &option_table[0].name, option_count,
	    sizeof(option_table[0]));
}

bool
parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "", "1", "true", "on", "yes" };
	static const char *const no[] = { "0", "false", "off", "no" };
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (strcasecmp(s, yes[i]) == 0)
			return *out = true, true;
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (strcasecmp(s, no[i]) == 0)
			return *out = false, true;
	return false;
}
