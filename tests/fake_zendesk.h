/* A fake Zendesk for the tests: an HTTP server on 127.0.0.1 (a free port)
 * that checks what the delivery worker sends as Zendesk documents it, keeps
 * the comments per ticket, and fails on demand.
 *
 * It answers:
 *   PUT /api/v2/tickets/{id}.json  Update Ticket: Basic auth
 *       "{api_user}/token:{api_token}", Content-Type application/json, a
 *       body {"ticket": {"comment": {"body": "...", "public": false},
 *       "additional_tags": ["...", ...]}} (nothing else); 200 with the
 *       ticket, the comment kept and the tags added.
 *   GET /api/v2/tickets/{id}/comments.json?sort_order=desc&per_page=N
 *       (N 1-100) the ticket's newest N comments, newest first
 *       ({"comments": [...], "next_page": null}).
 * Anything else, or a request that fails a check, is counted as rejected
 * and answered 400, 401 or 404 as Zendesk would. */
#ifndef REDRESS_TEST_FAKE_ZENDESK_H
#define REDRESS_TEST_FAKE_ZENDESK_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct fake_zendesk;

/** Start one that accepts these credentials (copied). Fails the test when
 * it cannot listen. */
struct fake_zendesk *fake_zendesk_start(const char *api_user, const char *api_token);
/** Stop it (a request it is holding back is answered at once). */
void fake_zendesk_stop(struct fake_zendesk *fz);

/** "REDRESS_ZENDESK_API_BASE=http://127.0.0.1:<port>", for th_server_start. */
void fake_zendesk_base_env(const struct fake_zendesk *fz, char *out, size_t size);

/** The next n Update Ticket calls answer status without keeping anything;
 * with 429 or a 5xx, a Retry-After of retry_after_s seconds (0: none). */
void fake_zendesk_fail_next(struct fake_zendesk *fz, int n, int status, int retry_after_s);
/** The next n Update Ticket calls keep the comment, then hold the answer
 * back for hang_ms (past the worker's timeout: it never learns). */
void fake_zendesk_hang_next(struct fake_zendesk *fz, int n, int hang_ms);

/** Every Update Ticket call on a ticket whose id starts with prefix keeps
 * the comment and holds its answer back for hang_ms (a tenant whose
 * Zendesk does not answer); "" stops it. */
void fake_zendesk_hang_tickets(struct fake_zendesk *fz, const char *prefix, int hang_ms);
/** The next n comment listings answer 200 with an HTML page, not JSON (a
 * proxy's maintenance page). */
void fake_zendesk_garble_listings(struct fake_zendesk *fz, int n);

/** Update Ticket calls received (whatever was answered), comment listings
 * received, and requests that failed a check. */
int fake_zendesk_puts(struct fake_zendesk *fz);
int fake_zendesk_gets(struct fake_zendesk *fz);
int fake_zendesk_rejected(struct fake_zendesk *fz);
/** Wall-clock time (seconds since the epoch) of the last Update Ticket
 * call; 0 before any. */
double fake_zendesk_last_put_at(struct fake_zendesk *fz);
/** The same for the last comments listing. */
double fake_zendesk_last_get_at(struct fake_zendesk *fz);
/** The ticket's comments kept, oldest first: a new array of {"body",
 * "public"}; and its tags (a new array). */
json_t *fake_zendesk_comments(struct fake_zendesk *fz, const char *ticket_id);
json_t *fake_zendesk_tags(struct fake_zendesk *fz, const char *ticket_id);

/** Wait (polling, at most `seconds`) until `*count(fz) >= n`; whether it came. */
bool fake_zendesk_wait(struct fake_zendesk *fz, int (*count)(struct fake_zendesk *), int n, int seconds);

#endif
