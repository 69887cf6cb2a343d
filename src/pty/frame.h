/* SPDX-License-Identifier: MIT */
/*
 * The forkpty router's client-to-server framing ("uwsgi mode", uWSGI's
 * forkpty-urouter): a stream of messages, each a 4-byte uwsgi header
 *
 *   modifier1 (u8, ignored) | datasize (u16, little-endian) | modifier2 (u8)
 *
 * where modifier2 says what it is:
 *   0       datasize bytes of terminal input follow the header;
 *   100     set the window rows to datasize (header only);
 *   101     set the window columns to datasize (header only);
 *   other   deliver signal number modifier2 to the pty child (header only;
 *           datasize is ignored). 1..PTY_SIG_MAX are signals; the rest are
 *           reported as PTY_EV_UNKNOWN.
 *
 * The decoder is incremental and copies nothing: input of any length, split
 * anywhere, gives the same events; a data body is handed out in pieces
 * pointing into the input as it arrives, so no message is ever buffered.
 * Pure code: no I/O, no allocation, no logging.
 */
#ifndef STOCKADE_PTY_FRAME_H
#define STOCKADE_PTY_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define PTY_FRAME_HEADER 4
#define PTY_MOD2_DATA	0
#define PTY_MOD2_ROWS	100
#define PTY_MOD2_COLS	101
/* The highest modifier2 taken as a signal number (Linux's SIGRTMAX). */
#define PTY_SIG_MAX	64

enum pty_ev {
	PTY_EV_NONE,	/* consumed header bytes only: feed more */
	PTY_EV_DATA,	/* data/len: a piece of a data message's body */
	PTY_EV_ROWS,	/* value: rows */
	PTY_EV_COLS,	/* value: columns */
	PTY_EV_SIGNAL,	/* value: signal number, 1..PTY_SIG_MAX */
	PTY_EV_UNKNOWN,	/* value: modifier2 that means nothing (65..99, 102..255) */
	PTY_EV_ERROR,	/* a data message larger than max_data: the stream is dead */
};

struct pty_event {
	enum pty_ev kind;
	unsigned value;		/* rows/cols/signal/modifier2; datasize for ERROR */
	const uint8_t *data;	/* PTY_EV_DATA: points into the input */
	size_t len;
};

struct pty_decoder {
	uint8_t hdr[PTY_FRAME_HEADER];
	uint8_t hlen;		/* header bytes held */
	uint32_t left;		/* body bytes still to come */
	uint32_t max_data;	/* largest accepted data message */
	int dead;		/* after PTY_EV_ERROR */
};

/* max_data: the largest data message accepted (0 or > 65535: any). */
void pty_decoder_init(struct pty_decoder *d, size_t max_data);

/*
 * Consumes a prefix of in[0..len) and describes what it held in *ev.
 * Returns the number of bytes consumed: > 0 whenever len > 0 and the
 * decoder is not dead; 0 for len == 0 (then ev is PTY_EV_NONE) or after an
 * error (then ev is PTY_EV_ERROR again). Call it in a loop until the input
 * is used up, handling each event.
 */
size_t pty_decode(struct pty_decoder *d, const uint8_t *in, size_t len, struct pty_event *ev);

/* Writes the 4-byte header of a message into out; returns PTY_FRAME_HEADER. */
size_t pty_frame_header(uint8_t out[PTY_FRAME_HEADER], uint8_t modifier2, uint16_t datasize);

#endif
