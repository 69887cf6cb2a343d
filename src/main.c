/* SPDX-License-Identifier: MIT */
/* stockade: read the configuration, then run the instance. */
#include "config/config.h"
#include "config/help.h"
#include "base/log.h"
#include "server/server.h"
#include "emperor/emperor.h"
#include "server/vassal.h"
#include "jail/jail.h"
#include "jail/jls.h"
#include "pty/client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

/* `--jls [-v] [--json]`: jls(8)'s own flags, right after --jls, are taken
 * out before the config reader sees them (--json would load a file). */
static unsigned
take_jls_flags(int *argc, char **argv)
{
	for (int i = 1; i < *argc; i++) {
		if (strcmp(argv[i], "--jls") != 0)
			continue;
		unsigned flags = 0;
		int j = i + 1;
		for (; j < *argc; j++) {
			if (strcmp(argv[j], "-v") == 0)
				flags |= JLS_VERBOSE;
			else if (strcmp(argv[j], "--json") == 0)
				flags |= JLS_JSON;
			else
				break;
		}
		/* argv[argc] is NULL: move it too */
		memmove(&argv[i + 1], &argv[j], (size_t)(*argc - j + 1) * sizeof(char *));
		*argc -= j - i - 1;
		return flags;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct loader loader;
	struct config cfg;
	unsigned jls_flags = take_jls_flags(&argc, argv);
	loader_init(&loader);
	if (vassal_early() < 0) {
		loader_free(&loader);
		return 1;
	}
	if (config_read_env(&loader, environ) < 0 || config_read_argv(&loader, argc, argv) < 0) {
		int code = loader.exit_requested ? loader.exit_code : 1;
		loader_free(&loader);
		return code;
	}
	if (config_resolve(&loader) < 0) {
		loader_free(&loader);
		return 1;
	}
	config_apply(&loader, &cfg);
	int rc = 0;
	if (vassal_setup(&cfg) < 0) {
		rc = 1;
	} else if (cfg.help) {
		print_help(1);
	} else if (cfg.help_option) {
		if (print_option_help(1, cfg.help_option) < 0) {
			const char *s = option_suggest(cfg.help_option);
			log_msg("no option '%s'%s%s%s", cfg.help_option, s ? " (did you mean '" : "", s ? s : "", s ? "'?)" : "");
			rc = 1;
		}
	} else if (cfg.options_markdown) {
		print_options_markdown(1);
	} else if (cfg.options_man) {
		print_options_man(1);
	} else if (cfg.version) {
		printf("stockade %s\n", STOCKADE_VERSION);
	} else if (cfg.show_config) {
		config_show(&loader, 1);
	} else if (cfg.pty_connect || cfg.pty_uconnect) {
		rc = pty_client_run(cfg.pty_uconnect ? cfg.pty_uconnect : cfg.pty_connect, cfg.pty_uconnect != NULL);
	} else if (cfg.jls || cfg.jail_remove) {
		const struct jail_backend *b = jail_backend();
		if (!b) {
			log_msg("jails are not supported on this system");
			rc = 1;
		} else {
			rc = (cfg.jls ? b->list(1, jls_flags) : b->remove(cfg.jail_remove)) < 0 ? 1 : 0;
		}
	} else if (cfg.emperor.n) {
		rc = emperor_run(&cfg, argv);
	} else {
		struct server_args sa = { argv, loader.reloads, loader.is_reload };
		rc = server_run(&cfg, &sa);
	}
	config_free(&cfg);
	loader_free(&loader);
	return rc;
}
