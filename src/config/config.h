/* SPDX-License-Identifier: MIT */
/*
 * Configuration: every source (environment, command line, ini, JSON) is read
 * into one ordered list of entries; immediate options and config logic run
 * while reading; then the $() @() %() passes rewrite values; then the list is
 * validated and applied to the typed struct config.
 */
#ifndef STOCKADE_CONFIG_H
#define STOCKADE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "config/options.h"
#include "config/hook_phase.h"

struct origin {
	const char *file;   /* interned: lives as long as the program */
	int line;           /* 0 when not applicable (environment) */
};

struct config_entry {
	const struct option_def *opt;  /* NULL: a placeholder (unknown key) */
	char *key;                     /* as written (alias or name) */
	char *value;
	struct origin origin;
	bool no_expand;                /* from `inherit`: no $() @() %() passes */
	bool explicit_placeholder;     /* from set-placeholder */
	bool referenced;               /* used as %(key) somewhere */
	bool from_env;
};

struct strlist {
	char **v;
	struct origin *origin;
	size_t n, cap;
};

/* The typed configuration, filled from the entries by config_apply(). */
struct config {
	/* process model */
	bool master;
	unsigned long long processes;
	bool lazy_apps;
	unsigned long long max_requests;
	unsigned long long harakiri;
	char *binary_path;
	/* issue 19: offload */
	unsigned long long offload_threads;	/* per worker; 0: none */
	/* issue 20: threads */
	unsigned long long threads;		/* per worker; 0 or 1: none */
	unsigned long long threads_stacksize;	/* KB; 0: the system's */
	/* sockets */
	struct strlist http_socket;
	struct strlist uwsgi_socket;
	struct strlist shared_socket;
	char *chmod_socket;
	char *chown_socket;
	unsigned long long listen_backlog;
	unsigned long long socket_timeout;
	unsigned long long buffer_size;
	unsigned long long limit_post;
	unsigned long long request_body_timeout;	/* s for a whole body; 0 off */
	unsigned long long request_body_min_rate;	/* B/s that extend it */
	bool vacuum;
	char *pidfile;
	/* python */
	char *wsgi_file;
	char *module;
	char *callable;
	struct strlist pythonpath;
	char *home;
	bool enable_threads;
	char *chdir_path;
	struct strlist env;
	/* issue 22: the uwsgi module */
	struct strlist py_import;
	char *pyargv;
	unsigned long long py_optimize;
	bool wsgi_disable_file_wrapper;
	unsigned long long locks;
	struct strlist cache2;
	unsigned long long cache_items, cache_blocksize;
	char *cache_store;
	struct strlist spooler, spooler_import, mule, mount, py_autoreload_ignore;
	unsigned long long py_autoreload;
	bool manage_script_name;
	unsigned long long mules;
	unsigned long long spooler_processes, spooler_frequency, spooler_max_tasks;
	char **opt_keys, **opt_values;	/* uwsgi.opt: every entry, in order; NULL value = True */
	size_t nopt;
	/* logging */
	bool disable_logging;
	char *logto;
	char *log_format;
	bool logformat_strftime;
	bool log_format_json;
	char *log_date;                    /* NULL: no date prefix */
	bool log_micros;
	bool log_x_forwarded_for;
	bool log_zero, log_4xx, log_5xx, log_sendfile, log_ioerror;
	unsigned long long log_slow;       /* ms, 0: off */
	unsigned long long log_big;        /* bytes, 0: off */
	struct strlist log_req_encoder;
	struct strlist req_logger;
	struct strlist touch_logreopen;
	bool log_reopen;
	char *log_backupname;
	/* issue 19: logging */
	bool log_master, logfile_chown;
	struct strlist logger, log_route, log_encoder, log_drain, log_filter;
	unsigned long long log_maxsize;
	char *logfile_chmod;
	/* privileges */
	char *uid;
	char *gid;
	/* jail */
	char *jail;
	struct strlist jail_ip4;
	struct strlist jail_ip6;
	struct strlist jail2;
	char *jidfile;
	char *jail_attach;
	bool jailed;
	bool jls;
	char *jail_remove;
	/* issue 23: jail-rctl and uWSGI's cgroup options */
	struct strlist jail_rctl;
	struct strlist cgroup;
	struct strlist cgroup_opt;
	char *cgroup_dir_mode;
	/* static files (server/static_files.c) */
	struct strlist static_map;
	struct strlist static_map2;
	/* issue 21: route* rules, each "OPTION VALUE" in config order */
	struct strlist route_rules;
	struct strlist static_index;
	struct strlist static_skip_ext;
	struct strlist static_safe;
	struct strlist static_expires;
	struct strlist static_expires_uri;
	struct strlist static_expires_path_info;
	char *mimefile;
	/* hooks: [phase][family], see hooks/hooks.h */
	struct strlist hooks[PH_COUNT][HF_COUNT];
	struct strlist binsh;
	/* lifecycle */
	struct strlist add_gid;
	bool no_initgroups;
	char *chroot_dir;
	unsigned long long worker_reload_mercy;
	unsigned long long reload_mercy;
	struct strlist touch_reload;
	bool exit_on_reload;
	struct strlist master_fifo;
	char *pidfile2;
	char *safe_pidfile;
	char *safe_pidfile2;
	char *daemonize;
	bool lazy;
	unsigned long long reload_on_rss;
	char *stats;
	bool stats_http;
	bool stats_minified;
	/* issue 19: daemons and cron */
	struct strlist attach_daemon, attach_daemon2, smart_attach_daemon, smart_attach_daemon2;
	struct strlist attach_control_daemon;
	bool daemons_honour_stdin;
	struct strlist cron, cron2, unique_cron;
	/* issue 19: part 4 (cron-harakiri, map-socket, static-cache-paths) */
	unsigned long long cron_harakiri;	/* s; 0: none */
	struct strlist map_socket;
	unsigned long long static_cache_paths;	/* s; 0: off */
	char *static_cache_paths_name;
	bool reaper;
	bool reload_on_exception;
	bool abstract_socket;
	char *socket_write_timeout;
	unsigned long long write_errors_tolerance;
	char *logto2;
	bool no_default_app;
	char *eval;
	struct strlist pymodule_alias;
	char *wsgi_env_behaviour;
	unsigned long long mule_reload_mercy;	/* s; 0: the workers' mercy */
	/* forkpty router */
	struct strlist forkpty_router;     /* raw */
	struct strlist forkpty_urouter;    /* uwsgi-framed */
	char *forkpty_command;             /* NULL: /bin/sh */
	unsigned long long forkpty_rows;   /* 0: 24 */
	unsigned long long forkpty_cols;   /* 0: 80 */
	unsigned long long forkpty_timeout;/* idle seconds, 0: none */
	char *pty_connect;
	char *pty_uconnect;
	/* issue 21: HTTP router */
	struct strlist http;               /* router addresses (bound on the host) */
	struct strlist http_to;            /* static backends; none: the first uwsgi socket */
	struct strlist http_var;           /* key=value added to every packet */
	unsigned long long http_processes; /* 0: 1 */
	bool http_keepalive;
	bool http_auto_chunked;
	bool http_enable_proxy_protocol;
	unsigned long long http_timeout;          /* s, 0: 60 */
	unsigned long long http_headers_timeout;  /* s, 0: http-timeout */
	unsigned long long http_connect_timeout;  /* s, 0: http-timeout */
	unsigned long long http_buffer_size;      /* request head limit, 0: 4096 */
	unsigned long long http_modifier1;
	unsigned long long http_modifier2;
	unsigned long long http_gracetime;        /* s, 0: 30 */
	char *http_manage_expect;                 /* "", "1" or a body limit */
	struct strlist http_subscription_server;  /* datagram sockets (udp or unix) */
	unsigned long long subscription_tolerance;/* s, 0: 17 */
	struct strlist subscribe_to;              /* server:key */
	struct strlist subscribe2;                /* server=..,key=..,addr=..,weight=.. */
	unsigned long long subscribe_freq;        /* s, 0: 10 */
	bool unsubscribe_on_graceful_reload;
	char *http_stats;                         /* router stats server address */
	struct strlist fastrouter;                /* uwsgi-protocol router addresses */
	struct strlist fastrouter_to;
	struct strlist fastrouter_subscription_server;
	unsigned long long fastrouter_timeout;    /* s, 0: 60 */
	char *fastrouter_stats;
	/* issue 21: signed subscriptions */
	char *subscriptions_sign_check;           /* DIGEST:DIR of <key>.pem public keys */
	unsigned long long subscriptions_sign_check_tolerance; /* s, 0: 86400 */
	bool subscriptions_use_credentials;       /* SO_PASSCRED on unix subscription servers */
	struct strlist subscriptions_sign_skip_uid;
	/* emperor */
	struct strlist emperor;
	struct strlist emperor_extra_extension;
	unsigned long long emperor_freq;              /* s, 0: 3 */
	unsigned long long emperor_throttle;          /* ms, 0: 1000 */
	unsigned long long emperor_max_throttle;      /* ms, 0: 180000 */
	unsigned long long emperor_curse_tolerance;   /* s, 0: 30 */
	unsigned long long emperor_required_heartbeat;/* s, 0: 30 */
	bool emperor_graceful_shutdown;
	bool emperor_no_blacklist;
	bool emperor_nofollow;
	bool emperor_tyrant;
	bool emperor_tyrant_nofollow;
	bool emperor_tyrant_initgroups;
	bool emperor_tyrant_jail;
	char *emperor_stats;
	char *emperor_pidfile;
	char *emperor_pg_node;                        /* NULL: the host name */
	char *emperor_pg_channel;                     /* NULL: stockade_vassals */
	struct strlist vassals_inherit;
	struct strlist vassals_include;
	struct strlist vassals_inherit_before;
	struct strlist vassals_include_before;
	struct strlist vassals_set;
	unsigned long long heartbeat;                 /* s, 0: none */
	/* issue 19: static options */
	struct strlist add_header;
	bool static_gzip_all;
	struct strlist static_gzip_dir;
	struct strlist static_gzip_ext;
	struct strlist check_static;
	/* issue 19: post-buffering */
	unsigned long long post_buffering;            /* bytes, 0: off */
	unsigned long long post_buffering_bufsize;    /* bytes per read, 0: 8192 */
	/* issue 19: process and socket options */
	struct strlist touch_chain_reload;
	struct strlist uwsgi_socket_forced;           /* uwsgi-socket: uwsgi whatever protocol says */
	char *protocol;                               /* of `socket`: NULL uwsgi, http, http11 */
	char *umask;                                  /* octal text, NULL: inherited */
	bool no_defer_accept;
	char *chdir2;
	bool harakiri_verbose;
	bool honour_stdin;
	bool disable_write_exception;
	bool memory_report;
	unsigned long long max_worker_lifetime;       /* s, 0: off */
	unsigned long long max_worker_lifetime_delta; /* s more per worker id */
	unsigned long long reload_on_as;              /* MiB, 0: off */
	unsigned long long evil_reload_on_rss;        /* MiB, 0: off */
	unsigned long long evil_reload_on_as;         /* MiB, 0: off */
	unsigned long long limit_as;                  /* MiB, 0: none */
	unsigned long long max_fd;                    /* 0: as inherited */
	bool auto_procname;
	char *procname;
	char *procname_prefix;
	char *procname_prefix_spaced;
	char *procname_append;
	char *procname_master;
	/* issue 23: cheaper, idle and cheap mode, on-demand vassals */
	unsigned long long cheaper;                   /* minimum workers, 0: off */
	unsigned long long cheaper_initial;           /* 0: cheaper */
	unsigned long long cheaper_step;              /* 0: 1 */
	char *cheaper_algo;                           /* NULL: spare */
	unsigned long long cheaper_overload;          /* 0: 3 */
	unsigned long long cheaper_idle;              /* s, 0: 10 */
	unsigned long long cheaper_rss_limit_soft;    /* bytes, 0: none */
	unsigned long long cheaper_rss_limit_hard;    /* bytes, 0: none */
	unsigned long long busyness_max, busyness_min, busyness_multiplier, busyness_penalty;
	bool busyness_verbose;
	unsigned long long busyness_backlog_alert, busyness_backlog_multiplier;
	unsigned long long busyness_backlog_step, busyness_backlog_nonzero;
	bool cheap;
	unsigned long long idle;                      /* s, 0: never */
	bool die_on_idle;
	char *emperor_on_demand_directory;
	char *emperor_on_demand_extension;
	char *emperor_on_demand_exec;
	/* actions */
	bool show_config;
	bool help;
	char *help_option;
	bool options_markdown;
	bool options_man;
	bool version;
	bool strict;
	struct origin *origins;   /* per option_table row, line 0 file NULL = unset */
};

/* Where an option's (last) value came from, or NULL when it was not given. */
const struct origin *config_origin(const struct config *cfg, const char *option);

struct config_list {
	struct config_entry *v;
	size_t n, cap;
};

/* Reading state shared by all sources. */
struct loader {
	struct config_list list;
	bool strict;
	char *last_ini;          /* for `--ini :section` */
	char *first_file;        /* the uppercase magic variables refer to it */
	int depth;               /* include nesting, to stop include loops */
	unsigned long replayed;  /* lines produced by logic blocks (runaway-loop budget) */
	unsigned long reloads;   /* UWSGI_RELOADS; 0 on a first start */
	bool is_reload;
	bool exit_requested;
	int exit_code;
};

void loader_init(struct loader *L);
void loader_free(struct loader *L);

/* Sources. Each returns 0, or -1 after printing a one-line error. */
int config_read_env(struct loader *L, char **envp);
int config_read_argv(struct loader *L, int argc, char **argv);
int config_load_file(struct loader *L, const char *spec, struct origin from, bool no_expand);
int config_load_ini(struct loader *L, const char *spec, struct origin from, bool no_expand);
int config_load_json(struct loader *L, const char *spec, struct origin from, bool no_expand);

/* Feeding one key/value into the loader (used by every source). */
struct feed_ctx;
struct feed_ctx *feed_begin(struct loader *L);
int feed(struct feed_ctx *fc, const char *key, const char *value, struct origin o, bool no_expand);
/* Ends a feed and frees fc: rc is the feeding's result. After an error
 * (rc < 0) returns -1 without reporting an open block again; else errors
 * on an unterminated block (-1) or returns 0. */
int feed_finish(struct feed_ctx *fc, int rc);

/* After all sources: value passes, validation. */
int config_resolve(struct loader *L);
/* Typed config from the resolved entries. */
int config_apply(struct loader *L, struct config *cfg);
void config_free(struct config *cfg);
/* issue 22: cfg->opt_keys/opt_values from the entries (config_export.c) */
void config_export_opts(const struct loader *L, struct config *cfg);
void config_export_free(struct config *cfg);
/* Print `name = value` lines in order (--show-config). */
void config_show(const struct loader *L, int fd);

/* Helpers shared by the config files. */
const char *intern(const char *s);
void config_error(struct origin o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
struct config_entry *config_append(struct loader *L, const struct option_def *opt,
                                   const char *key, const char *value, struct origin o);
/* Value of the first entry with this key (option name, alias or placeholder), or NULL. */
struct config_entry *config_lookup(struct loader *L, const char *key, bool last);

/* "file:section" → path, section (NULL when absent). */
void config_split_spec(const char *spec, char **path, char **section);
/* `--ini emperor://<name>`: the text comes from the Emperor. The vassal side
 * registers the fetcher before the configuration is read (a NUL-terminated
 * malloc'd text and *len, or NULL with err). */
typedef char *config_remote_fetch_fn(size_t *len, char *err, size_t errlen);
void config_set_remote_fetch(config_remote_fetch_fn *fn);
char *config_read_text(struct loader *L, const char *spec, const char *path, const char *section,
                       const char *kind, struct origin from);

/* Magic variables (%d %p ...), applied to the raw text of each file. */
char *magic_expand(const char *text, size_t len, const char *path, const char *section,
                   const char *first_file);
/* Value passes. */
int expand_env(const char *in, char **out);
int expand_at(const char *in, char **out, struct origin o);
/* %(name) placeholders; marks referenced entries. */
int expand_placeholders(struct loader *L, const char *in, char **out, struct origin o, int depth);

#endif
