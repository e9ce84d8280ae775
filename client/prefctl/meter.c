/*
 * meter.c - the progress display of uploads and exports.
 */
#include "meter.h"

#include "text.h"

#include <stdio.h>
#include <time.h>

#define BAR_WIDTH      30
#define BAR_INTERVAL   0.1  /* seconds between redraws */
#define LINES_INTERVAL 10.0 /* seconds between lines for an unknown total */

static double now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void meter_init(struct meter *m, enum meter_mode mode, const char *label, const char *verb,
                int64_t total)
{
        *m = (struct meter){ .label = label, .verb = verb, .mode = mode, .total = total };
        m->start = m->last = now();
}

static double rate(const struct meter *m, double t)
{
        double elapsed = t - m->start;
        return elapsed > 0 ? (double)m->done / elapsed : 0;
}

static void draw_bar(struct meter *m, double t)
{
        char done[32], total[32], speed[32];
        text_bytes(done, sizeof(done), (double)m->done);
        text_bytes(speed, sizeof(speed), rate(m, t));
        if (m->total > 0) {
                int pct = (int)(100.0 * (double)m->done / (double)m->total);
                int fill = (int)((double)BAR_WIDTH * (double)m->done / (double)m->total);
                pct = MIN(MAX(pct, 0), 100);
                fill = MIN(MAX(fill, 0), BAR_WIDTH);
                char bar[BAR_WIDTH + 1];
                for (int i = 0; i < BAR_WIDTH; i++)
                        bar[i] = i < fill ? '=' : (i == fill ? '>' : ' ');
                bar[BAR_WIDTH] = '\0';
                text_bytes(total, sizeof(total), (double)m->total);
                fprintf(stderr, "\r%s [%s] %3d%%  %s / %s  %s/s\033[K", m->label, bar, pct, done,
                        total, speed);
        } else {
                fprintf(stderr, "\r%s  %s %s  %s/s\033[K", m->label, done, m->verb, speed);
        }
        fflush(stderr);
        m->drawn = true;
        m->last = t;
}

void meter_update(struct meter *m, int64_t done)
{
        if (m->mode == METER_OFF || done == m->done)
                return;
        m->done = done;
        double t = now();
        if (m->mode == METER_BAR) {
                if (t - m->last >= BAR_INTERVAL || !m->drawn)
                        draw_bar(m, t);
                return;
        }
        char d[32], speed[32];
        if (m->total > 0) {
                int tenth = (int)(10 * done / m->total);
                if (tenth <= m->last_tenth || tenth > 10)
                        return;
                m->last_tenth = tenth;
                char total[32];
                text_bytes(d, sizeof(d), (double)done);
                text_bytes(total, sizeof(total), (double)m->total);
                text_bytes(speed, sizeof(speed), rate(m, t));
                fprintf(stderr, "%s: %d%% (%s of %s %s, %s/s)\n", m->label, tenth * 10, d, total,
                        m->verb, speed);
        } else {
                if (t - m->last < LINES_INTERVAL)
                        return;
                m->last = t;
                text_bytes(d, sizeof(d), (double)done);
                text_bytes(speed, sizeof(speed), rate(m, t));
                fprintf(stderr, "%s: %s %s (%s/s)\n", m->label, d, m->verb, speed);
        }
}

void meter_finish(struct meter *m, bool ok)
{
        if (m->mode == METER_OFF)
                return;
        double t = now();
        if (m->mode == METER_BAR) {
                if (ok)
                        draw_bar(m, t);
                if (m->drawn)
                        fputc('\n', stderr);
                return;
        }
        if (!ok)
                return;
        char d[32], speed[32];
        text_bytes(d, sizeof(d), (double)m->done);
        text_bytes(speed, sizeof(speed), rate(m, t));
        fprintf(stderr, "%s: %s %s in %.1f s (%s/s)\n", m->label, d, m->verb, t - m->start, speed);
}
