/* SPDX-License-Identifier: MIT */
/* Incremental decoder for the forkpty router's uwsgi framing (see frame.h). */
#include "pty/frame.h"

#include <string.h>

void
pty_decoder_init(struct pty_decoder *d, size_t max_data)
{
	memset(d, 0, sizeof(*d));
	d->max_data = max_data == 0 || max_data > UINT16_MAX ? UINT16_MAX : (uint32_t)max_data;
}

size_t
pty_frame_header(uint8_t out[PTY_FRAME_HEADER], uint8_t modifier2, uint16_t datasize)
{
	out[0] = 0;
	out[1] = (uint8_t)(datasize & 0xff);
	out[2] = (uint8_t)(datasize >> 8);
	out[3] = modifier2;
	return PTY_FRAME_HEADER;
}

/* A complete header in d->hdr: what it means. */
static void
header_done(struct pty_decoder *d, struct pty_event *ev)
{
	unsigned size = (unsigned)d->hdr[1] | ((unsigned)d->hdr[2] << 8);
	unsigned mod2 = d->hdr[3];

	d->hlen = 0;
	ev->value = mod2;
	switch (mod2) {
	case PTY_MOD2_DATA:
		if (size > d->max_data) {
			d->dead = 1;
			ev->kind = PTY_EV_ERROR;
			ev->value = size;
			return;
		}
		/* an empty data message is a no-op */
		d->left = size;
		ev->kind = PTY_EV_NONE;
		return;
	case PTY_MOD2_ROWS:
		ev->kind = PTY_EV_ROWS;
		ev->value = size;
		return;
	case PTY_MOD2_COLS:
		ev->kind = PTY_EV_COLS;
		ev->value = size;
		return;
	default:
		ev->kind = mod2 <= PTY_SIG_MAX ? PTY_EV_SIGNAL : PTY_EV_UNKNOWN;
		return;
	}
}

size_t
pty_decode(struct pty_decoder *d, const uint8_t *in, size_t len, struct pty_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	if (d->dead) {
		ev->kind = PTY_EV_ERROR;
		return 0;
	}
	if (len == 0)
		return 0;
	if (d->left > 0) {
		size_t n = len < d->left ? len : d->left;
		d->left -= (uint32_t)n;
		ev->kind = PTY_EV_DATA;
		ev->data = in;
		ev->len = n;
		return n;
	}
	size_t n = PTY_FRAME_HEADER - d->hlen;
	if (n > len)
		n = len;
	memcpy(d->hdr + d->hlen, in, n);
	d->hlen = (uint8_t)(d->hlen + n);
	if (d->hlen == PTY_FRAME_HEADER)
		header_done(d, ev);
	return n;
}
