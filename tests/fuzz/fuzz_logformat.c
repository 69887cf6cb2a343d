/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for log-format compilation and rendering, JSON escaping
 * and the log-req-encoder chain. Input: a format, a NUL, then the value of
 * each request variable (NUL separated). Checks, beyond memory safety: a
 * line never overflows its buffer and ends with its only newline when the
 * format has none (values cannot forge lines), and JSON-mode values are
 * always valid JSON string content.
 */
#include "server/logformat.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = { "REQUEST_URI", "REQUEST_METHOD", "HTTP_USER_AGENT", "HTTP_X" };

static void check_line(const char *out, size_t n, size_t cap, bool format_has_newline)
{
	if (n == 0 || n > cap || out[n - 1] != '\n')
		abort();
	if (!format_has_newline && memchr(out, '\n', n - 1))
		abort();   /* a value forged a second line */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	size_t flen = strnlen(in, size);
	char *fmt = malloc(flen + 1);
	if (!fmt)
		return 0;
	memcpy(fmt, in, flen);
	fmt[flen] = '\0';
	struct kv vars[4];
	size_t nvars = 0, pos = flen + 1;
	while (pos < size && nvars < 4) {
		size_t len = strnlen(in + pos, size - pos);
		vars[nvars] = (struct kv){ names[nvars], strlen(names[nvars]), in + pos, len };
		nvars++;
		pos += len + 1;
	}
	struct logreq r = { .vars = vars, .nvars = nvars, .addr = "127.0.0.1", .addr_len = 9, .status = 200 };
	struct logformat lf;
	char err[256], out[512], enc[1024];
	bool newline = memchr(fmt, '\n', flen) != NULL;
	if (logformat_compile(&lf, fmt, err, sizeof(err)) == 0) {
		for (size_t cap = 2; cap <= sizeof(out); cap += 170) {
			check_line(out, logformat_render(&lf, &r, out, cap), cap, newline);
			lf.json = true;
			check_line(out, logformat_render(&lf, &r, out, cap), cap, newline);
			lf.json = false;
		}
		logformat_free(&lf);
	} else if (!memchr(err, '\0', sizeof(err))) {
		abort();
	}
	struct logformat dflt = { 0 };
	check_line(out, logformat_render(&dflt, &r, out, sizeof(out)), sizeof(out), false);
	/* JSON escaping of each value: valid inside quotes */
	for (size_t i = 0; i < nvars; i++) {
		out[0] = '"';
		size_t n = json_escape(out + 1, sizeof(out) - 3, vars[i].val, vars[i].val_len);
		out[n + 1] = '"';
		out[n + 2] = '\0';
		json_t *j = json_loads(out, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
		if (!j)
			abort();
		json_decref(j);
	}
	struct log_encoder e;
	if (log_encoder_compile(&e, fmt, err, sizeof(err)) == 0) {
		size_t n = log_encoder_apply(&e, in, size, enc, sizeof(enc));
		if (n > sizeof(enc))
			abort();
		log_encoder_free(&e);
	}
	free(fmt);
	return 0;
}
