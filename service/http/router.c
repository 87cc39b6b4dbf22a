/* The routing table, and matching a request against it. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "http.h"
#include "routes.h"

#define ROUTE_ROW(method, pattern, handler, flags) { method, pattern, handler, flags },
static const struct http_route ROUTES[] = { HTTP_ROUTES(ROUTE_ROW) };
_Static_assert(sizeof(ROUTES) / sizeof(ROUTES[0]) == HTTP_ROUTE_COUNT, "routes.h counts every row");

/* Match pattern against path segment by segment. On a match, the decoded
 * {} segments go to args (caller frees); returns false otherwise (args
 * untouched). Malformed escapes in a {} segment never match. */
static bool pattern_match(const char *pattern, const char *path, char *args[HTTP_MAX_PATH_ARGS])
{
    char *found[HTTP_MAX_PATH_ARGS] = { NULL };
    int n_found = 0;
    const char *p = pattern, *u = path;
    while (*p != '\0' && *u != '\0') {
        if (*p != '/' || *u != '/')
            goto fail;
        p++;
        u++;
        size_t p_len = strcspn(p, "/"), u_len = strcspn(u, "/");
        if (p_len == 2 && memcmp(p, "{}", 2) == 0) {
            if (u_len == 0 || n_found == HTTP_MAX_PATH_ARGS)
                goto fail;
            found[n_found] = http_percent_decode(u, u_len);
            if (found[n_found++] == NULL)
                goto fail;
        } else if (p_len != u_len || memcmp(p, u, p_len) != 0) {
            goto fail;
        }
        p += p_len;
        u += u_len;
    }
    if (*p != '\0' || *u != '\0')
        goto fail;
    memcpy(args, found, sizeof(found));
    return true;
fail:
    for (int i = 0; i < n_found; i++)
        free(found[i]);
    return false;
}

enum http_match http_route_find(const char *method, const char *path, const struct http_route **out,
                                char *args[HTTP_MAX_PATH_ARGS], char *allow, size_t allow_size)
{
    bool path_known = false;
    allow[0] = '\0';
    for (size_t i = 0; i < sizeof(ROUTES) / sizeof(ROUTES[0]); i++) {
        char *candidate[HTTP_MAX_PATH_ARGS] = { NULL };
        if (!pattern_match(ROUTES[i].pattern, path, candidate))
            continue;
        if (strcmp(ROUTES[i].method, method) == 0
            || (strcmp(method, "HEAD") == 0 && strcmp(ROUTES[i].method, "GET") == 0)) {
            memcpy(args, candidate, sizeof(candidate));
            *out = &ROUTES[i];
            return HTTP_MATCH_OK;
        }
        for (int a = 0; a < HTTP_MAX_PATH_ARGS; a++)
            free(candidate[a]);
        size_t used = strlen(allow);
        snprintf(allow + used, allow_size - used, "%s%s", path_known ? ", " : "", ROUTES[i].method);
        if (strcmp(ROUTES[i].method, "GET") == 0) {
            used = strlen(allow);
            snprintf(allow + used, allow_size - used, ", HEAD");
        }
        path_known = true;
    }
    return path_known ? HTTP_MATCH_NO_METHOD : HTTP_MATCH_NO_PATH;
}

enum { N_ROUTES = HTTP_ROUTE_COUNT };

/* "POST /v1/cases/{}/outcome": the metrics label of each route. */
static char route_labels[N_ROUTES][64];
static pthread_once_t labels_once = PTHREAD_ONCE_INIT;

static void make_route_labels(void)
{
    for (int i = 0; i < N_ROUTES; i++)
        snprintf(route_labels[i], sizeof(route_labels[i]), "%s %s", ROUTES[i].method, ROUTES[i].pattern);
}

int http_route_index(const struct http_route *route)
{
    return route != NULL ? (int)(route - ROUTES) : -1;
}

int http_route_names(const char **names, int max)
{
    pthread_once(&labels_once, make_route_labels);
    int n = N_ROUTES < max ? N_ROUTES : max;
    for (int i = 0; i < n; i++)
        names[i] = route_labels[i];
    return n;
}
