/*
 * gen_votes.c - synthetic votes for the benchmarks: N votes over M models whose true ratings are
 * drawn from a normal distribution (mean 1000, sd 100, arena scale), outcomes sampled from the
 * Bradley-Terry model, spread over 5 categories, 2 languages and 60 days. Ties: with probability
 * 0.4 a vote is two independent Bradley-Terry draws, a tie when they disagree, so that a model's
 * expected score (a tie counting half) stays its Bradley-Terry probability p; ties then make up
 * 0.8 p (1 - p) of a pair's votes, about 15% overall.
 *
 *   gen_votes VOTES MODELS SEED OUT.jsonl TRUTH.csv
 *
 * TRUTH.csv holds model,rating (centred to mean 1000) for the accuracy check.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t state;

static uint64_t next_u64(void)
{
        /* splitmix64 */
        uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
}

static double uniform(void)
{
        return (double)(next_u64() >> 11) / 9007199254740992.0;
}

static double normal(void)
{
        double u = uniform(), v = uniform();
        return sqrt(-2 * log(u + 1e-300)) * cos(2 * M_PI * v);
}

int main(int argc, char **argv)
{
        if (argc != 6) {
                fprintf(stderr, "usage: gen_votes VOTES MODELS SEED OUT.jsonl TRUTH.csv\n");
                return 2;
        }
        long votes = atol(argv[1]);
        int models = atoi(argv[2]);
        state = (uint64_t)atoll(argv[3]);
        if (votes <= 0 || models < 2 || models > 100000) {
                fprintf(stderr, "gen_votes: bad VOTES or MODELS\n");
                return 2;
        }
        double *rating = malloc((size_t)models * sizeof(double));
        if (!rating)
                return 1;
        double mean = 0;
        for (int i = 0; i < models; i++)
                mean += rating[i] = 1000 + 100 * normal();
        mean /= models;
        FILE *truth = fopen(argv[5], "w");
        FILE *out = fopen(argv[4], "w");
        if (!truth || !out) {
                perror("gen_votes");
                return 1;
        }
        fprintf(truth, "model,rating\n");
        for (int i = 0; i < models; i++)
                fprintf(truth, "model-%03d,%.6f\n", i, rating[i] - mean + 1000);
        static const char *const categories[] = { "coding", "math", "writing", "roleplay",
                                                  "knowledge" };
        static const char *const languages[] = { "en", "zh" };
        const long start = 1790000000; /* 2026-09-21, then 60 days */
        for (long k = 0; k < votes; k++) {
                int a = (int)(next_u64() % (uint64_t)models);
                int b = (int)(next_u64() % (uint64_t)(models - 1));
                if (b >= a)
                        b++;
                double p = 1 / (1 + pow(10, (rating[b] - rating[a]) / 400));
                bool first = uniform() < p;
                const char *winner = first ? "model_a" : "model_b";
                if (uniform() < 0.4 && (uniform() < p) != first)
                        winner = "tie";
                long t = start + (long)(uniform() * 60 * 86400);
                fprintf(out,
                        "{\"model_a\":\"model-%03d\",\"model_b\":\"model-%03d\",\"winner\":\"%s\","
                        "\"category\":\"%s\",\"language\":\"%s\",\"tstamp\":%ld}\n",
                        a, b, winner, categories[next_u64() % 5], languages[next_u64() % 2], t);
        }
        if (fclose(out) != 0 || fclose(truth) != 0) {
                perror("gen_votes");
                return 1;
        }
        free(rating);
        return 0;
}
