/* Small helpers used everywhere: checked allocation and a growable string. */
#ifndef STOCKADE_UTIL_H
#define STOCKADE_UTIL_H

#include <stdbool.h>
#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

struct strbuf {
	char *buf;
	size_t len;
	size_t cap;
};

void sb_init(struct strbuf *sb);
void sb_free(struct strbuf *sb);
void sb_add(struct strbuf *sb, const char *s, size_t n);
void sb_adds(struct strbuf *sb, const char *s);
void sb_addc(struct strbuf *sb, char c);
void sb_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* returns the NUL-terminated buffer and leaves sb empty; caller frees */
char *sb_detach(struct strbuf *sb);

/* Reads a whole file; NULL with errno set on failure. */
char *read_file(const char *path, size_t *len);

/* Strict unsigned parse: digits only, no sign, no junk, no overflow. */
bool parse_uint(const char *s, unsigned long long max, unsigned long long *out);

#endif
