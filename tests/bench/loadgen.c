/*
 * loadgen.c - the rating-loop load client of `make bench`: N raters, each on its own keep-alive
 * connection, loop GET .../next then POST .../vote for a fixed time, or (--healthz) N
 * connections loop GET /healthz to show the client's own ceiling. One thread, epoll, no
 * allocation per request, so that it is not what limits the figures.
 *
 *   loadgen HOST PORT SECONDS --tokens FILE --project SLUG    (one bearer token per line)
 *   loadgen HOST PORT SECONDS --healthz --conns N
 *
 * Prints one line of key=value figures: cycles (next+vote pairs answered 201), requests,
 * per_s (cycles or requests per second), next_p50_ms, next_p99_ms, errors (any other status),
 * empty (next answered 204).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 1024
#define BUF_SIZE  (256 * 1024)
#define MAX_LAT   (4 * 1024 * 1024)

enum phase { P_NEXT, P_VOTE, P_HEALTH };

struct conn {
        int fd;
        enum phase phase;
        char token[128];
        char assignment[64];
        char out[1024];
        size_t out_len, out_sent;
        char *in;
        size_t in_len;
        double sent_at;
        unsigned seed;
};

static double now(void)
{
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static const char *host_header;
static const char *project;
static long cycles, requests, errors, empty;
static double *latency;
static size_t nlat;

static int connect_to(const char *host, int port)
{
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
        int one = 1;
        if (fd < 0 || inet_pton(AF_INET, host, &a.sin_addr) != 1)
                return -1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0 && errno != EINPROGRESS) {
                close(fd);
                return -1;
        }
        return fd;
}

static void request(struct conn *c)
{
        static const char *const choices[] = { "a", "b", "tie" };
        int n;
        if (c->phase == P_HEALTH) {
                n = snprintf(c->out, sizeof(c->out), "GET /healthz HTTP/1.1\r\nHost: %s\r\n\r\n",
                             host_header);
        } else if (c->phase == P_NEXT) {
                n = snprintf(c->out, sizeof(c->out),
                             "GET /api/v1/projects/%s/next HTTP/1.1\r\nHost: %s\r\n"
                             "Authorization: Bearer %s\r\n\r\n",
                             project, host_header, c->token);
        } else {
                char body[96];
                int bl = snprintf(body, sizeof(body), "{\"choice\":\"%s\",\"elapsed_ms\":%d}",
                                  choices[rand_r(&c->seed) % 3], 5000 + rand_r(&c->seed) % 20000);
                n = snprintf(c->out, sizeof(c->out),
                             "POST /api/v1/assignments/%s/vote HTTP/1.1\r\nHost: %s\r\n"
                             "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                             "Content-Length: %d\r\n\r\n%s",
                             c->assignment, host_header, c->token, bl, body);
        }
        c->out_len = (size_t)n;
        c->out_sent = 0;
        c->sent_at = now();
}

/* A complete response in c->in: its length, status and body; 0 when incomplete. */
static size_t parse(struct conn *c, int *status, const char **body, size_t *body_len)
{
        char *end = memmem(c->in, c->in_len, "\r\n\r\n", 4);
        if (!end)
                return 0;
        size_t head = (size_t)(end - c->in) + 4;
        *status = atoi(c->in + 9);
        size_t clen = 0;
        char *cl = memmem(c->in, head, "Content-Length:", 15);
        if (!cl)
                cl = memmem(c->in, head, "content-length:", 15);
        if (cl)
                clen = strtoul(cl + 15, NULL, 10);
        if (c->in_len < head + clen)
                return 0;
        *body = c->in + head;
        *body_len = clen;
        return head + clen;
}

static int by_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return (x > y) - (x < y);
}

/* Handles one response; returns false to stop this connection. */
static bool answered(struct conn *c, int status, const char *body, size_t len)
{
        requests++;
        if (c->phase == P_HEALTH) {
                if (status != 200)
                        errors++;
                return true;
        }
        if (c->phase == P_NEXT) {
                if (nlat < MAX_LAT)
                        latency[nlat++] = (now() - c->sent_at) * 1e3;
                if (status == 204) {
                        empty++;
                        return false;
                }
                const char *id = status == 200 ? memmem(body, len, "\"id\":\"", 6) : NULL;
                if (!id) {
                        errors++;
                        return true; /* ask again */
                }
                id += 6;
                const char *q = memchr(id, '"', len - (size_t)(id - body));
                size_t n = q ? (size_t)(q - id) : 0;
                if (!q || n >= sizeof(c->assignment)) {
                        errors++;
                        return true;
                }
                memcpy(c->assignment, id, n);
                c->assignment[n] = '\0';
                c->phase = P_VOTE;
                return true;
        }
        if (status == 201)
                cycles++;
        else
                errors++;
        c->phase = P_NEXT;
        return true;
}

int main(int argc, char **argv)
{
        if (argc < 4) {
                fprintf(stderr, "usage: loadgen HOST PORT SECONDS (--tokens FILE --project SLUG "
                                "| --healthz --conns N)\n");
                return 2;
        }
        const char *host = argv[1];
        int port = atoi(argv[2]);
        double seconds = atof(argv[3]);
        const char *tokens = NULL;
        int nconns = 1;
        bool health = false;
        for (int i = 4; i < argc; i++) {
                if (strcmp(argv[i], "--tokens") == 0 && i + 1 < argc)
                        tokens = argv[++i];
                else if (strcmp(argv[i], "--project") == 0 && i + 1 < argc)
                        project = argv[++i];
                else if (strcmp(argv[i], "--conns") == 0 && i + 1 < argc)
                        nconns = atoi(argv[++i]);
                else if (strcmp(argv[i], "--healthz") == 0)
                        health = true;
                else {
                        fprintf(stderr, "loadgen: unknown argument %s\n", argv[i]);
                        return 2;
                }
        }
        static struct conn conns[MAX_CONNS];
        char hh[64];
        snprintf(hh, sizeof(hh), "%s:%d", host, port);
        host_header = hh;
        latency = malloc(MAX_LAT * sizeof(double));
        if (!latency)
                return 1;
        if (!health) {
                FILE *f = tokens ? fopen(tokens, "r") : NULL;
                if (!f || !project) {
                        fprintf(stderr, "loadgen: --tokens FILE and --project SLUG are needed\n");
                        return 2;
                }
                nconns = 0;
                while (nconns < MAX_CONNS &&
                       fgets(conns[nconns].token, sizeof(conns[nconns].token), f)) {
                        conns[nconns].token[strcspn(conns[nconns].token, "\r\n")] = '\0';
                        if (conns[nconns].token[0])
                                nconns++;
                }
                fclose(f);
        }
        if (nconns < 1 || nconns > MAX_CONNS) {
                fprintf(stderr, "loadgen: 1 to %d connections\n", MAX_CONNS);
                return 2;
        }
        int ep = epoll_create1(0);
        for (int i = 0; i < nconns; i++) {
                struct conn *c = &conns[i];
                c->fd = connect_to(host, port);
                c->in = malloc(BUF_SIZE);
                c->seed = (unsigned)i * 2654435761u + 1;
                if (c->fd < 0 || !c->in) {
                        fprintf(stderr, "loadgen: cannot connect to %s:%d\n", host, port);
                        return 1;
                }
                c->phase = health ? P_HEALTH : P_NEXT;
                request(c);
                struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.ptr = c };
                epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
        }
        double start = now(), stop = start + seconds;
        int open = nconns;
        struct epoll_event evs[256];
        while (open > 0 && now() < stop) {
                int n = epoll_wait(ep, evs, 256, 100);
                for (int k = 0; k < n; k++) {
                        struct conn *c = evs[k].data.ptr;
                        if (c->fd < 0)
                                continue;
                        if ((evs[k].events & EPOLLOUT) && c->out_sent < c->out_len) {
                                ssize_t w =
                                    write(c->fd, c->out + c->out_sent, c->out_len - c->out_sent);
                                if (w > 0)
                                        c->out_sent += (size_t)w;
                                if (c->out_sent == c->out_len) {
                                        struct epoll_event ev = { .events = EPOLLIN,
                                                                  .data.ptr = c };
                                        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
                                }
                        }
                        if (!(evs[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
                                continue;
                        ssize_t r = read(c->fd, c->in + c->in_len, BUF_SIZE - c->in_len);
                        if (r <= 0) {
                                if (r < 0 && errno == EAGAIN)
                                        continue;
                                close(c->fd);
                                c->fd = -1;
                                open--;
                                errors++;
                                continue;
                        }
                        c->in_len += (size_t)r;
                        int status;
                        const char *body;
                        size_t blen, used = parse(c, &status, &body, &blen);
                        if (!used)
                                continue;
                        bool go_on = answered(c, status, body, blen);
                        memmove(c->in, c->in + used, c->in_len - used);
                        c->in_len -= used;
                        if (!go_on) {
                                close(c->fd);
                                c->fd = -1;
                                open--;
                                continue;
                        }
                        request(c);
                        struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.ptr = c };
                        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
                }
        }
        double elapsed = now() - start;
        qsort(latency, nlat, sizeof(double), by_double);
        double p50 = nlat ? latency[nlat / 2] : 0, p99 = nlat ? latency[nlat * 99 / 100] : 0;
        printf("conns=%d seconds=%.2f cycles=%ld requests=%ld per_s=%.1f next_p50_ms=%.3f "
               "next_p99_ms=%.3f errors=%ld empty=%ld\n",
               nconns, elapsed, cycles, requests,
               (health ? (double)requests : (double)cycles) / elapsed, p50, p99, errors, empty);
        return 0;
}
