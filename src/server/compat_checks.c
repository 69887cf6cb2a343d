/* SPDX-License-Identifier: MIT */
/*
 * Start-up checks of uWSGI option values whose only accepted value is the
 * one Stockade already behaves as (issue 19): `wsgi-env-behaviour = holy`
 * (a new environ dict for every request, as Stockade always makes) is
 * accepted; `cheat` (one dict per core, cleared after each request, uWSGI
 * 2.0's default) is not offered, and refuses the start rather than being
 * silently ignored.
 */
#include "server/compat_checks.h"
#include "config/config.h"

#include <string.h>

int
compat_checks(const struct config *cfg)
{
	const char *b = cfg->wsgi_env_behaviour;

	if (!b || strcmp(b, "holy") == 0)
		return 0;
	const struct origin *o = config_origin(cfg, "wsgi-env-behaviour");
	if (strcmp(b, "cheat") == 0)
		config_error(o ? *o : (struct origin){ "config", 0 },
		    "wsgi-env-behaviour 'cheat' is not supported by Stockade (the environ is a new dict "
		    "for every request: 'holy')");
	else
		config_error(o ? *o : (struct origin){ "config", 0 },
		    "wsgi-env-behaviour '%s': uWSGI knows 'holy' and 'cheat'", b);
	return -1;
}
