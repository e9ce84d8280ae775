/*
 * work.h - a small pool of worker threads for CPU-heavy jobs that must not run on the event loop:
 * password hashing (scrypt) and ranking fits with bootstrap intervals.
 *
 * A job's run function executes on a worker thread and must touch only its own argument; its
 * done function then executes on the loop thread, where it may reply to requests and start
 * queries. Requires evthread_use_pthreads() before the event base is created.
 */
#ifndef WORK_H
#define WORK_H

#include "prefd.h"

struct event_base;
struct work;

typedef void (*work_run_fn)(void *arg);  /* on a worker thread */
typedef void (*work_done_fn)(void *arg); /* on the loop thread, after run */

/* Starts `threads` workers bound to the loop of `base`. NULL on failure. */
struct work *work_new(struct event_base *base, int threads);

/*
 * Queues a job. Returns -1 (and runs nothing) when the pool is shutting down or out of memory.
 */
int work_submit(struct work *w, work_run_fn run, work_done_fn done, void *arg) PREFD_MUSTCHECK;

/* Jobs queued or running. */
size_t work_pending(const struct work *w);

/*
 * Stops the workers after the queued jobs ran and calls the done functions of finished jobs,
 * then frees the pool. NULL is a no-op.
 */
void work_free(struct work *w);

#endif
