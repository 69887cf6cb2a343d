/* SPDX-License-Identifier: MIT */
/*
 * FreeBSD jail backend, the OS half: binds freebsd_logic.c to the real
 * jail(2), jail_attach(2), jail_remove(2) and libjail (-ljail). Built only
 * on FreeBSD; everything worth testing is in freebsd_logic.c.
 */
#include "jail/fds.h"
#include "jail/freebsd_sys.h"

#include <sys/types.h>
#include <sys/rctl.h>

static const char *
os_errmsg(void)
{
	return jail_errmsg;
}

static const struct freebsd_sys freebsd_os = {
	.jail = jail,
	.jail_attach = jail_attach,
	.jail_remove = jail_remove,
	.jail_getid = jail_getid,
	.jail_getname = jail_getname,
	.jailparam_init = jailparam_init,
	.jailparam_import = jailparam_import,
	.jailparam_import_raw = jailparam_import_raw,
	.jailparam_set = jailparam_set,
	.jailparam_get = jailparam_get,
	.jailparam_export = jailparam_export,
	.jailparam_free = jailparam_free,
	.rctl_add_rule = rctl_add_rule,
	.rctl_remove_rule = rctl_remove_rule,
	.rctl_get_rules = rctl_get_rules,
	.rctl_get_racct = rctl_get_racct,
	.errmsg = os_errmsg,
	.close_fds = jail_close_fds,
};

const struct jail_backend *
jail_backend(void)
{
	return freebsd_jail_backend(&freebsd_os);
}
