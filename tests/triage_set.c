/* Reading the labelled triage set (see triage_set.h). */
#include "triage_set.h"

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char HEADER[] = "id\tlanguage\tcategory\tsignals\tmessage";

/* \n, \t and \\ in place; anything else after a backslash is an error. */
static int unescape(char *text)
{
    char *out = text;
    for (const char *in = text; *in; in++) {
        if (*in != '\\') {
            *out++ = *in;
            continue;
        }
        in++;
        if (*in == 'n')
            *out++ = '\n';
        else if (*in == 't')
            *out++ = '\t';
        else if (*in == '\\')
            *out++ = '\\';
        else
            return -1;
    }
    *out = '\0';
    return 0;
}

static int parse_signals(char *list, unsigned *out)
{
    *out = 0;
    if (strcmp(list, "-") == 0)
        return 0;
    for (char *save = NULL, *name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
        int s = eng_enum_parse(ENG_TRIAGE_SIGNAL_NAMES, TRIAGE_SIGNAL_COUNT, name);
        if (s < 0)
            return -1;
        *out |= ENG_TRIAGE_SIGNAL_BIT(s);
    }
    return 0;
}

static int load_file(const char *path, struct triage_set *set, char *err, size_t err_size)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        snprintf(err, err_size, "%s: cannot be read", path);
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    int number = 0, rc = 0;
    ssize_t got;
    while (rc == 0 && (got = getline(&line, &cap, f)) >= 0) {
        number++;
        while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r'))
            line[--got] = '\0';
        if (number == 1) {
            if (strcmp(line, HEADER) != 0) {
                snprintf(err, err_size, "%s:1: the header must be \"%s\"", path, HEADER);
                rc = -1;
            }
            continue;
        }
        if (got == 0)
            continue;
        char *fields[5];
        char *cursor = line;
        int n = 0;
        for (; n < 5 && cursor != NULL; n++) {
            fields[n] = cursor;
            char *tab = n < 4 ? strchr(cursor, '\t') : NULL;
            if (tab != NULL)
                *tab = '\0';
            cursor = tab != NULL ? tab + 1 : NULL;
        }
        struct triage_example e = { 0 };
        int language = n == 5 ? eng_enum_parse(ENG_LANGUAGE_TAGS, LANG_COUNT, fields[1]) : -1;
        int category = n == 5 ? eng_enum_parse(ENG_CATEGORY_NAMES, CAT_COUNT, fields[2]) : -1;
        if (n != 5 || language < 0 || category < 0 || parse_signals(fields[3], &e.signals) != 0
            || strlen(fields[0]) >= sizeof(e.id) || unescape(fields[4]) != 0) {
            snprintf(err, err_size, "%s:%d: expected id, language, category, signals, message", path, number);
            rc = -1;
            break;
        }
        snprintf(e.id, sizeof(e.id), "%s", fields[0]);
        e.language = (enum eng_language)language;
        e.category = (enum eng_category)category;
        e.message = strdup(fields[4]);
        struct triage_example *items = realloc(set->items, (set->n + 1) * sizeof(*items));
        if (e.message == NULL || items == NULL) {
            free(e.message);
            if (items != NULL)
                set->items = items;
            snprintf(err, err_size, "out of memory");
            rc = -1;
            break;
        }
        set->items = items;
        set->items[set->n++] = e;
    }
    free(line);
    fclose(f);
    return rc;
}

int triage_set_load(const char *const *paths, int n_paths, struct triage_set *set, char *err, size_t err_size)
{
    set->items = NULL;
    set->n = 0;
    glob_t found = { 0 };
    if (n_paths == 0) {
        const char *root = getenv("REDRESS_TEST_ROOT"); /* the Check run's source tree */
        char pattern[1024];
        snprintf(pattern, sizeof(pattern), "%s%stests/data/triage/*.tsv", root ? root : "", root ? "/" : "");
        if (glob(pattern, 0, NULL, &found) != 0) {
            snprintf(err, err_size, "tests/data/triage/*.tsv: no labelled files (run from the project root)");
            return -1;
        }
        paths = (const char *const *)found.gl_pathv;
        n_paths = (int)found.gl_pathc;
    }
    int rc = 0;
    for (int i = 0; i < n_paths && rc == 0; i++)
        rc = load_file(paths[i], set, err, err_size);
    if (n_paths > 0 && found.gl_pathv != NULL)
        globfree(&found);
    if (rc != 0)
        triage_set_free(set);
    return rc;
}

void triage_set_free(struct triage_set *set)
{
    for (size_t i = 0; i < set->n; i++)
        free(set->items[i].message);
    free(set->items);
    set->items = NULL;
    set->n = 0;
}
