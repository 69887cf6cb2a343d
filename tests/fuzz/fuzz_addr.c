/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for sock_parse_addr() and the address formatters.
 * Checks, beyond memory safety: errors are one printable line that fits the
 * caller's buffer, and a parsed TCP address or shared index survives
 * format-then-parse unchanged.
 */
#include "net/socket.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_line(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);

	if (n == cap)
		abort();	/* not terminated inside the buffer */
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			abort();	/* a control byte could forge a log line */
	}
}

static void
check_roundtrip(const struct sock_addr *a)
{
	char shown[SOCK_NAME_MAX];
	struct sock_addr b;

	sock_addr_format(a, shown, sizeof(shown));
	check_line(shown, sizeof(shown));
	switch (a->kind) {
	case SOCK_ADDR_INET:
		if (sock_parse_addr(shown, &b, NULL, 0) != 0 || b.kind != a->kind ||
		    b.len != a->len ||
		    b.u.in.sin_addr.s_addr != a->u.in.sin_addr.s_addr ||
		    b.u.in.sin_port != a->u.in.sin_port)
			abort();
		break;
	case SOCK_ADDR_INET6:
		if (sock_parse_addr(shown, &b, NULL, 0) != 0 || b.kind != a->kind ||
		    memcmp(&b.u.in6.sin6_addr, &a->u.in6.sin6_addr, 16) != 0 ||
		    b.u.in6.sin6_port != a->u.in6.sin6_port)
			abort();
		break;
	case SOCK_ADDR_SHARED:
		if (sock_parse_addr(shown, &b, NULL, 0) != 0 || b.kind != a->kind ||
		    b.shared_index != a->shared_index)
			abort();
		break;
	case SOCK_ADDR_UNIX:
	case SOCK_ADDR_ABSTRACT:
		if (a->len > sizeof(a->u.un) || a->u.un.sun_family != AF_UNIX)
			abort();
		break;
	default:
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_storage ss;
	struct sock_addr a;
	char *s, *err, shown[SOCK_NAME_MAX];
	size_t errlen;

	if (size > 4096)
		return 0;
	s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';	/* an embedded NUL just ends the string early */

	/* Exactly sized error buffers, so ASan sees any overrun. */
	errlen = size ? (size_t)data[0] % 97 : 0;
	err = malloc(errlen ? errlen : 1);
	if (errlen)
		err[0] = 'x';
	errno = 0;
	if (sock_parse_addr(s, &a, errlen ? err : NULL, errlen) == 0)
		check_roundtrip(&a);
	else {
		if (errno != EINVAL)
			abort();
		if (errlen > 0)
			check_line(err, errlen);
	}
	free(err);

	/* The same bytes as a kernel address, as accept() might return it. */
	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, data, size < sizeof(ss) ? size : sizeof(ss));
	sock_format((struct sockaddr *)&ss, (socklen_t)(size < sizeof(ss) ? size : sizeof(ss)),
	    shown, sizeof(shown));
	check_line(shown, sizeof(shown));
	err = malloc(size % 8 + 1);
	sock_format((struct sockaddr *)&ss, (socklen_t)(size < sizeof(ss) ? size : sizeof(ss)),
	    err, size % 8);
	free(err);
	free(s);
	return 0;
}
