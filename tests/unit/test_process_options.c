/* SPDX-License-Identifier: MIT */
/* The socket options' readers (server/socket_options.c): protocol of
 * `socket` and umask. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "server/process_options.h"

static int
protocol_of(const char *p, enum proto *out)
{
	struct config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.protocol = (char *)p;
	log_set_file(open("/dev/null", O_WRONLY));
	int rc = socket_options_protocol(&cfg, out);
	log_set_file(2);
	return rc;
}

Test(socket_options, protocol)
{
	enum proto p;
	cr_assert_eq(protocol_of(NULL, &p), 0);
	cr_assert_eq(p, PROTO_UWSGI);
	cr_assert_eq(protocol_of("uwsgi", &p), 0);
	cr_assert_eq(p, PROTO_UWSGI);
	cr_assert_eq(protocol_of("http", &p), 0);
	cr_assert_eq(p, PROTO_HTTP);
	cr_assert_eq(protocol_of("http11", &p), 0);
	cr_assert_eq(p, PROTO_HTTP);
	cr_assert_eq(protocol_of("fastcgi", &p), -1);
	cr_assert_eq(protocol_of("HTTP", &p), -1);   /* uWSGI's names are lower case */
	cr_assert_eq(protocol_of("", &p), -1);
}

static int
umask_of(const char *s, mode_t *out)
{
	struct config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.umask = (char *)s;
	log_set_file(open("/dev/null", O_WRONLY));
	int rc = socket_options_umask(&cfg, out);
	log_set_file(2);
	return rc;
}

Test(socket_options, umask)
{
	mode_t m;
	cr_assert_eq(umask_of("022", &m), 0);
	cr_assert_eq(m, 022);
	cr_assert_eq(umask_of("0002", &m), 0);
	cr_assert_eq(m, 02);
	cr_assert_eq(umask_of("7", &m), 0);
	cr_assert_eq(m, 07);
	cr_assert_eq(umask_of("", &m), -1);
	cr_assert_eq(umask_of("8", &m), -1);
	cr_assert_eq(umask_of("00022", &m), -1);
	cr_assert_eq(umask_of("22 # g+w", &m), -1);
}
