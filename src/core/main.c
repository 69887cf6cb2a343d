/* stockade: read the configuration, then run the instance. */
#include "core/config.h"
#include "core/help.h"
#include "core/log.h"
#include "core/server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

/* Options that are parsed but whose behaviour is not in this build yet are
 * refused: silently ignoring `jail` or `uid` would be a security bug. */
static int refuse_pending(const struct loader *L)
{
	for (size_t i = 0; i < L->list.n; i++) {
		const struct config_entry *e = &L->list.v[i];
		if (e->opt && (e->opt->flags & OPT_PENDING)) {
			config_error(e->origin, "option '%s' is not supported by this build yet; refusing to start without it",
			             e->opt->name);
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct loader L;
	struct config cfg;
	loader_init(&L);
	if (config_read_env(&L, environ) < 0 || config_read_argv(&L, argc, argv) < 0) {
		int code = L.exit_requested ? L.exit_code : 1;
		loader_free(&L);
		return code;
	}
	if (config_resolve(&L) < 0) {
		loader_free(&L);
		return 1;
	}
	config_apply(&L, &cfg);
	int rc = 0;
	if (cfg.help) {
		print_help(1);
	} else if (cfg.version) {
		printf("stockade %s\n", STOCKADE_VERSION);
	} else if (cfg.show_config) {
		config_show(&L, 1);
	} else if (refuse_pending(&L) < 0) {
		rc = 1;
	} else {
		struct server_args sa = { argv, L.reloads, L.is_reload };
		rc = server_run(&cfg, &sa);
	}
	config_free(&cfg);
	loader_free(&L);
	return rc;
}
