/* SPDX-License-Identifier: MIT */
/* The jail folder's error line (jail/error.h). */
#include "jail/error.h"

#include <stdarg.h>
#include <stdio.h>

void
jail_config_error(const struct origin *o, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	config_error(o != NULL ? *o : (struct origin){ 0 }, "%s", msg);
}
