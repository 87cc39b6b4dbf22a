/* make triage-report: triage against labelled messages (tests/data/triage
 * by default; any TSV of the same shape as arguments). Prints accuracy of
 * the category per language and per category, of the language, and recall
 * and precision of each signal; -v lists every miss. The Check suite
 * (tests/check_triage.c) holds the same set to its thresholds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "triage_set.h"

struct tally {
    int total, right;
};

static void percent(const char *label, struct tally t)
{
    printf("  %-28s %4d/%-4d %5.1f %%\n", label, t.right, t.total, t.total ? 100.0 * t.right / t.total : 0.0);
}

int main(int argc, char **argv)
{
    bool verbose = argc > 1 && strcmp(argv[1], "-v") == 0;
    char err[512];
    if (eng_triage_init(err, sizeof(err)) != 0) {
        fprintf(stderr, "triage: %s\n", err);
        return 1;
    }
    struct triage_set set;
    int first = verbose ? 2 : 1;
    if (triage_set_load(argc > first ? (const char *const *)argv + first : NULL, argc - first, &set, err,
                        sizeof(err))
        != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    struct tally by_language[LANG_COUNT] = { 0 }, by_category[CAT_COUNT] = { 0 }, language = { 0 }, all = { 0 };
    struct tally certain = { 0 };
    int uncertain = 0;
    int signal_true[TRIAGE_SIGNAL_COUNT] = { 0 }, signal_found[TRIAGE_SIGNAL_COUNT] = { 0 },
        signal_right[TRIAGE_SIGNAL_COUNT] = { 0 };
    for (size_t i = 0; i < set.n; i++) {
        const struct triage_example *e = &set.items[i];
        struct eng_triage t;
        if (eng_triage(e->message, strlen(e->message), &t) != 0) {
            fprintf(stderr, "triage failed on %s\n", e->id);
            return 1;
        }
        bool right = t.category == e->category;
        by_language[e->language].total++;
        by_language[e->language].right += right;
        by_category[e->category].total++;
        by_category[e->category].right += right;
        all.total++;
        all.right += right;
        language.total++;
        language.right += t.language_known && t.language == e->language;
        if (t.uncertain) {
            uncertain++;
        } else {
            certain.total++;
            certain.right += right;
        }
        for (int s = 0; s < TRIAGE_SIGNAL_COUNT; s++) {
            bool want = e->signals & ENG_TRIAGE_SIGNAL_BIT(s), got = t.signals & ENG_TRIAGE_SIGNAL_BIT(s);
            signal_true[s] += want;
            signal_found[s] += got;
            signal_right[s] += want && got;
        }
        if (verbose && (!right || t.signals != e->signals || !t.language_known || t.language != e->language)) {
            printf("%s: %s -> %s (%.2f%s) lang %s", e->id, ENG_CATEGORY_NAMES[e->category],
                   ENG_CATEGORY_NAMES[t.category], t.confidence, t.uncertain ? " uncertain" : "",
                   t.language_known ? ENG_LANGUAGE_TAGS[t.language] : "?");
            for (int s = 0; s < TRIAGE_SIGNAL_COUNT; s++) {
                bool want = e->signals & ENG_TRIAGE_SIGNAL_BIT(s), got = t.signals & ENG_TRIAGE_SIGNAL_BIT(s);
                if (want && !got)
                    printf(" -%s", ENG_TRIAGE_SIGNAL_NAMES[s]);
                if (got && !want)
                    printf(" +%s[%.*s]", ENG_TRIAGE_SIGNAL_NAMES[s], t.signal_matched[s].length,
                           e->message + t.signal_matched[s].offset);
            }
            printf(" | matched:");
            for (int m = 0; m < t.n_matched; m++)
                printf(" [%.*s]", t.matched[m].length, e->message + t.matched[m].offset);
            printf("\n    %s\n", e->message);
        }
    }
    printf("triage over %zu labelled messages\n", set.n);
    printf("category, per language:\n");
    for (int l = 0; l < LANG_COUNT; l++)
        if (by_language[l].total)
            percent(ENG_LANGUAGE_TAGS[l], by_language[l]);
    percent("all", all);
    printf("category, per category:\n");
    for (int c = 0; c < CAT_COUNT; c++)
        if (by_category[c].total)
            percent(ENG_CATEGORY_NAMES[c], by_category[c]);
    printf("uncertain (a person confirms): %d of %zu; accuracy where certain:\n", uncertain, set.n);
    percent("certain", certain);
    printf("language detected:\n");
    percent("language", language);
    printf("signals (recall, then precision):\n");
    for (int s = 0; s < TRIAGE_SIGNAL_COUNT; s++) {
        printf("  %-28s recall %3d/%-3d  precision %3d/%-3d\n", ENG_TRIAGE_SIGNAL_NAMES[s], signal_right[s],
               signal_true[s], signal_right[s], signal_found[s]);
    }
    triage_set_free(&set);
    return 0;
}
