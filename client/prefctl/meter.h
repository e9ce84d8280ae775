/*
 * meter.h - transfer progress on stderr.
 *
 * On a terminal: one line redrawn at most ten times a second, a bar with the percentage when
 * the total is known ("upload [=====>    ]  45%  12.3 MiB / 27.1 MiB  5.2 MiB/s"), else the
 * bytes so far and the rate. Otherwise (stderr piped or logged) plain lines: one at each 10% of
 * a known total, or one every 10 seconds for an unknown total, then a closing line; never a
 * flood. A disabled meter prints nothing.
 */
#ifndef PREFCTL_METER_H
#define PREFCTL_METER_H

#include "prefd.h"

#include <stdint.h>

enum meter_mode {
        METER_OFF,   /* prints nothing */
        METER_BAR,   /* a terminal: a redrawn line */
        METER_LINES, /* a pipe or file: occasional plain lines */
};

struct meter {
        const char *label; /* "upload", "export"; borrowed */
        const char *verb;  /* "sent", "received"; borrowed */
        enum meter_mode mode;
        int64_t total;  /* bytes expected, -1 when unknown */
        int64_t done;   /* bytes so far */
        double start;   /* monotonic seconds */
        double last;    /* when the last line was drawn */
        int last_tenth; /* METER_LINES: the last 10% step printed */
        bool drawn;     /* METER_BAR: a line is on screen */
};

void meter_init(struct meter *m, enum meter_mode mode, const char *label, const char *verb,
                int64_t total);

/* The transfer has moved done bytes in all. */
void meter_update(struct meter *m, int64_t done);

/* Ends the display: the closing line when ok, else just ends the bar's line. */
void meter_finish(struct meter *m, bool ok);

#endif
