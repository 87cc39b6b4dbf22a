/* The labelled messages of tests/data/triage/<tag>.tsv: one reader for the
 * Check suite and make triage-report. */
#ifndef REDRESS_TRIAGE_SET_H
#define REDRESS_TRIAGE_SET_H

#include <stddef.h>

#include "engine.h"

struct triage_example {
    char id[32];
    enum eng_language language;
    enum eng_category category;
    unsigned signals;   /* ENG_TRIAGE_SIGNAL_BIT()s */
    char *message;      /* unescaped; owned by the set */
};

struct triage_set {
    struct triage_example *items;
    size_t n;
};

/** Read the files named (or, with n_paths 0, every tests/data/triage/
 * *.tsv under $REDRESS_TEST_ROOT, else the working directory). Returns 0, or -1 with the file,
 * line and problem in err. triage_set_free releases it. */
int triage_set_load(const char *const *paths, int n_paths, struct triage_set *set, char *err, size_t err_size);
void triage_set_free(struct triage_set *set);

#endif
