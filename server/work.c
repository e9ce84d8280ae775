/*
 * work.c - worker threads signalling the event loop; see work.h.
 */
#include "work.h"

#include <event2/event.h>
#include <pthread.h>
#include <stdlib.h>

struct job {
        work_run_fn run;
        work_done_fn done;
        void *arg;
        struct job *next;
};

struct job_list {
        struct job *head, *tail;
};

struct work {
        pthread_mutex_t lock;
        pthread_cond_t cond;
        struct job_list todo; /* waiting for a worker */
        struct job_list done; /* finished, waiting for the loop */
        size_t pending;       /* queued or running or not yet reported */
        bool stopping;
        int nthreads;
        pthread_t *threads;
        struct event *wake; /* activated by workers; runs the done functions on the loop */
};

static void list_push(struct job_list *l, struct job *j)
{
        j->next = NULL;
        if (l->tail)
                l->tail->next = j;
        else
                l->head = j;
        l->tail = j;
}

static struct job *list_pop(struct job_list *l)
{
        struct job *j = l->head;
        if (j) {
                l->head = j->next;
                if (!l->head)
                        l->tail = NULL;
        }
        return j;
}

static void *worker_main(void *arg)
{
        struct work *w = arg;
        pthread_mutex_lock(&w->lock);
        for (;;) {
                struct job *j;
                while (!(j = list_pop(&w->todo)) && !w->stopping)
                        pthread_cond_wait(&w->cond, &w->lock);
                if (!j)
                        break;
                pthread_mutex_unlock(&w->lock);
                j->run(j->arg);
                pthread_mutex_lock(&w->lock);
                list_push(&w->done, j);
                event_active(w->wake, EV_READ, 0);
        }
        pthread_mutex_unlock(&w->lock);
        return NULL;
}

static void run_done(struct work *w)
{
        pthread_mutex_lock(&w->lock);
        struct job_list done = w->done;
        w->done.head = w->done.tail = NULL;
        pthread_mutex_unlock(&w->lock);
        struct job *j;
        while ((j = list_pop(&done))) {
                if (j->done)
                        j->done(j->arg);
                free(j);
                pthread_mutex_lock(&w->lock);
                w->pending--;
                pthread_mutex_unlock(&w->lock);
        }
}

static void wake_cb(evutil_socket_t fd, short what, void *arg)
{
        run_done(arg);
}

struct work *work_new(struct event_base *base, int threads)
{
        struct work *w = calloc(1, sizeof(*w));
        if (!w)
                return NULL;
        pthread_mutex_init(&w->lock, NULL);
        pthread_cond_init(&w->cond, NULL);
        w->wake = event_new(base, -1, 0, wake_cb, w);
        w->threads = calloc((size_t)threads, sizeof(pthread_t));
        if (!w->wake || !w->threads)
                goto fail;
        for (; w->nthreads < threads; w->nthreads++)
                if (pthread_create(&w->threads[w->nthreads], NULL, worker_main, w) != 0)
                        goto fail;
        return w;
fail:
        work_free(w);
        return NULL;
}

int work_submit(struct work *w, work_run_fn run, work_done_fn done, void *arg)
{
        struct job *j = malloc(sizeof(*j));
        if (!j)
                return -1;
        *j = (struct job){ .run = run, .done = done, .arg = arg };
        pthread_mutex_lock(&w->lock);
        if (w->stopping) {
                pthread_mutex_unlock(&w->lock);
                free(j);
                return -1;
        }
        list_push(&w->todo, j);
        w->pending++;
        pthread_cond_signal(&w->cond);
        pthread_mutex_unlock(&w->lock);
        return 0;
}

size_t work_pending(const struct work *w)
{
        pthread_mutex_lock((pthread_mutex_t *)&w->lock);
        size_t n = w->pending;
        pthread_mutex_unlock((pthread_mutex_t *)&w->lock);
        return n;
}

void work_free(struct work *w)
{
        if (!w)
                return;
        pthread_mutex_lock(&w->lock);
        w->stopping = true;
        pthread_cond_broadcast(&w->cond);
        pthread_mutex_unlock(&w->lock);
        for (int i = 0; i < w->nthreads; i++)
                pthread_join(w->threads[i], NULL);
        run_done(w);
        if (w->wake)
                event_free(w->wake);
        free(w->threads);
        pthread_mutex_destroy(&w->lock);
        pthread_cond_destroy(&w->cond);
        free(w);
}
