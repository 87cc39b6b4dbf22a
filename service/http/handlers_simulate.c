/* POST /v1/policy/simulate: replay the tenant's recorded cases in a window
 * through the engine twice, under the version each was decided with and
 * under a candidate, with what the decision used at the time (the request,
 * the buyer's history, the seller's cost settings, the decision time).
 * Changes nothing. Cases are read in pages, the next one fetched while
 * this one is replayed on REPLAY_THREADS threads; only totals are kept,
 * tallied in the cases' order so the result never depends on the threads. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "case_json.h"
#include "handlers.h"
#include "log.h"
#include "policy_json.h"
#include "validate.h"

/* ---- what a decision used, stored beside it ---- */

char *policy_inputs_to_json(const struct db_cost_settings *s, const struct eng_history *h)
{
    json_t *doc = json_object(), *history = json_object();
    bool ok = doc != NULL && history != NULL;
    /* the history as the decision's abuse.history shows it; the replay
     * reads it from here, without opening the (larger) decision */
#define PUT_HISTORY(field) ok = ok && json_object_set_new(history, #field, json_integer((json_int_t)h->field)) == 0;
    DB_REPLAY_HISTORY(PUT_HISTORY)
#undef PUT_HISTORY
    ok = ok && json_object_set(doc, "history", history) == 0;
#define PUT(field) ok = ok && json_object_set_new(doc, #field, json_integer(s->field)) == 0;
    DB_REPLAY_INPUT_NUMBERS(PUT)
#undef PUT
    ok = ok && json_object_set_new(doc, "sku_currency", json_string(s->sku_currency)) == 0;
    /* the account's data (DB_REPLAY_ACCOUNT_NUMBERS): what was read, only */
    const struct db_account_inputs *a = &s->account;
    ok = ok && json_object_set_new(doc, "sku_compensation_budget_percent",
                                   json_integer(s->sku_compensation_budget_percent)) == 0;
    if (a->budget_known)
        ok = ok && json_object_set_new(doc, "budget_window_days", json_integer(a->budget_window_days)) == 0
             && json_object_set_new(doc, "budget_compensation", json_integer((json_int_t)a->sku_compensation)) == 0
             && json_object_set_new(doc, "budget_revenue", json_integer((json_int_t)a->sku_revenue)) == 0;
    if (a->odr_known)
        ok = ok && json_object_set_new(doc, "odr_defect_orders", json_integer((json_int_t)a->odr_defect_orders)) == 0
             && json_object_set_new(doc, "odr_orders", json_integer((json_int_t)a->odr_orders)) == 0;
    char *text = ok ? json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(history);
    json_decref(doc);
    return text;
}

/* A stored integer column: decimal digits, whole, no more. */
static bool stored_integer(const char *text, int64_t *out)
{
    if (text == NULL || text[0] == '\0')
        return false;
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno != 0 || *end != '\0')
        return false;
    *out = v;
    return true;
}

/* The history the decision weighed; -1 when part of it is missing. */
static int stored_history(const struct db_replay_row *row, struct eng_history *h)
{
    int i = 0;
    bool ok = true;
#define GET(field) ok = ok && stored_integer(row->history[i++], &h->field);
    DB_REPLAY_HISTORY(GET)
#undef GET
    return ok ? 0 : -1;
}

/* The cost settings the decision used; -1 when they were not stored whole. */
static int stored_inputs(const struct db_replay_row *row, struct db_cost_settings *out)
{
    memset(out, 0, sizeof(*out));
    int i = 0;
    bool ok = row->has_inputs;
    int64_t v = -1;
#define GET(field)                                                  \
    ok = ok && stored_integer(row->inputs[i++], &v);                \
    out->field = ok ? (__typeof__(out->field))v : -1;
    DB_REPLAY_INPUT_NUMBERS(GET)
#undef GET
    ok = ok && row->sku_currency != NULL && strlen(row->sku_currency) < sizeof(out->sku_currency);
    if (ok)
        snprintf(out->sku_currency, sizeof(out->sku_currency), "%s", row->sku_currency);
    return ok ? 0 : -1;
}

/* What the account's data said; unknown where it was not stored (cases
 * recorded before issue #10: no budget rule, no defect-rate rule). */
static void stored_account(const struct db_replay_row *row, struct db_cost_settings *out)
{
    int64_t v[DB_REPLAY_ACCOUNT_COUNT];
    bool have[DB_REPLAY_ACCOUNT_COUNT];
    for (int i = 0; i < DB_REPLAY_ACCOUNT_COUNT; i++)
        have[i] = stored_integer(row->account[i], &v[i]);
    enum {
#define ACCOUNT_INDEX(name) AT_##name,
        DB_REPLAY_ACCOUNT_NUMBERS(ACCOUNT_INDEX)
#undef ACCOUNT_INDEX
    };
    struct db_account_inputs *a = &out->account;
    memset(a, 0, sizeof(*a));
    out->sku_compensation_budget_percent = have[AT_sku_compensation_budget_percent]
                                               ? (int)v[AT_sku_compensation_budget_percent] : -1;
    a->budget_known = have[AT_budget_window_days] && have[AT_budget_compensation] && have[AT_budget_revenue];
    if (a->budget_known) {
        a->budget_window_days = (int)v[AT_budget_window_days];
        a->sku_compensation = v[AT_budget_compensation];
        a->sku_revenue = v[AT_budget_revenue];
    }
    a->odr_known = have[AT_odr_defect_orders] && have[AT_odr_orders];
    if (a->odr_known) {
        a->odr_defect_orders = v[AT_odr_defect_orders];
        a->odr_orders = v[AT_odr_orders];
    }
}

/* ---- the replay ---- */

struct side {
    long by_tier[TIER_COUNT];
    long by_action[ACT_COUNT];
    long firm, manual_review;
    int64_t remedy_cost[ENG_CURRENCY_COUNT], savings[ENG_CURRENCY_COUNT];
    bool seen[ENG_CURRENCY_COUNT];
};

enum { MAX_EXAMPLES = 20, TOP_CHANGES = 10, TOP_SKUS = 20, REPLAY_PAGE = 200, REPLAY_THREADS = 2 };

/* What the aggregation needs of one decision. */
struct outcome {
    enum eng_tier tier;
    enum eng_action primary;
    int64_t cost, refund_amount, full_return_cost;
    bool manual_review;
};

/* One row of a page, replayed (by any worker). */
struct replayed {
    bool failed;        /* logged by the worker */
    bool without_inputs;
    int currency;
    struct outcome was, would;
};

/* One worker's share of a page, and its scratch decisions (large). */
struct replay_worker {
    struct simulation *sim;
    const struct db_replay_row *rows;
    int first, end;
    struct eng_decision was, would;
};

/* A version of the tenant's policy, parsed once per simulation. */
struct cached_version {
    int version;
    struct eng_policy policy;
};

/* One simulation; owned by the handler, its json_t, versions and scratch
 * freed at the end. */
struct simulation {
    struct http_request *req;
    struct eng_policy candidate;
    struct cached_version **versions; /* each malloc'd: pointers into them stay valid */
    int n_versions;
    struct side before, after;
    long cases, changed, fidelity_mismatches, without_inputs;
    json_t *changes;       /* "from\nto" → count */
    json_t *by_category;   /* "category\ncurrency" → delta */
    json_t *by_sku;        /* "sku\ncurrency" → delta */
    json_t *examples;      /* up to MAX_EXAMPLES changed cases */
    /* the page being replayed: each row's deciding policy (set by
     * prepare_page, read by the workers) and its result */
    const struct eng_policy *page_policy[REPLAY_PAGE];
    struct replayed page[REPLAY_PAGE];
    struct replay_worker workers[REPLAY_THREADS];
};

/* The policy a case was decided with, parsed once; NULL when it cannot be
 * had. Uses the connection: only between pages. */
static const struct eng_policy *version_policy(struct simulation *sim, int version)
{
    for (int i = 0; i < sim->n_versions; i++)
        if (sim->versions[i]->version == version)
            return &sim->versions[i]->policy;
    struct db_policy_version v;
    if (db_policy_get(sim->req->db, sim->req->tenant.id, version, &v) != DB_OK)
        return NULL;
    struct cached_version *cached = malloc(sizeof(*cached));
    struct cached_version **grown = realloc(sim->versions, (size_t)(sim->n_versions + 1) * sizeof(*grown));
    bool ok = cached != NULL && grown != NULL;
    if (grown != NULL)
        sim->versions = grown;
    if (ok) {
        cached->version = version;
        cached->policy = *eng_policy_default();
        if (v.document != NULL) {
            json_t *doc = json_loads(v.document, 0, NULL), *errors = json_array();
            const char *note;
            ok = doc != NULL && errors != NULL && policy_from_json(doc, &cached->policy, &note, errors);
            json_decref(doc);
            json_decref(errors);
        }
    }
    db_policy_version_cleanup(&v);
    if (!ok) {
        free(cached);
        return NULL;
    }
    cached->policy.version = version;
    sim->versions[sim->n_versions++] = cached;
    return &cached->policy;
}

static bool has_action(const struct eng_remedy *r, enum eng_action type)
{
    for (int i = 0; i < r->n_actions; i++)
        if (r->actions[i].type == type)
            return true;
    return false;
}

static void count(struct side *s, const struct outcome *d, int currency)
{
    s->by_tier[d->tier]++;
    s->by_action[d->primary]++;
    s->firm += d->tier == TIER_FIRM;
    s->manual_review += d->manual_review;
    s->seen[currency] = true;
    s->remedy_cost[currency] += d->cost;
    s->savings[currency] += d->full_return_cost - d->cost;
}

static void add_to(json_t *map, const char *a, const char *b, int64_t amount)
{
    char key[300];
    snprintf(key, sizeof(key), "%s\n%s", a, b);
    json_t *v = json_object_get(map, key);
    json_object_set_new(map, key, json_integer((v ? json_integer_value(v) : 0) + amount));
}

static json_t *brief(const struct outcome *d)
{
    return json_pack("{s:s, s:s, s:I, s:I}", "tier", ENG_TIER_NAMES[d->tier], "primary",
                     ENG_ACTION_NAMES[d->primary], "refund_amount", (json_int_t)d->refund_amount,
                     "cost", (json_int_t)d->cost);
}

/* Decide c under policy with the stored settings; what counts of it to out. */
static int decide_under(const struct eng_case *request_case, const struct db_cost_settings *stored,
                        const struct eng_policy *policy, const struct eng_history *history, int64_t now,
                        struct eng_decision *d, struct outcome *out)
{
    struct db_cost_settings settings = *stored;
    settings.policy = policy;
    struct eng_case c = *request_case;
    struct eng_policy effective;
    costs_apply(&settings, &c, &effective);
    if (eng_decide_remedy(&c, &effective, history, now, d) != 0)
        return -1;
    *out = (struct outcome){
        .tier = d->tier,
        .primary = d->remedy.primary,
        .cost = d->remedy.cost,
        .refund_amount = d->remedy.refund_amount,
        .full_return_cost = d->full_return.cost,
        .manual_review = has_action(&d->remedy, ACT_MANUAL_REVIEW),
    };
    return 0;
}

/* Replay one recorded case twice into *out. Pure but for the log: runs
 * on any worker thread, touching only its row, its result and its scratch. */
static void replay_row(struct replay_worker *w, const struct db_replay_row *row, const struct eng_policy *was_policy,
                       struct replayed *out)
{
    struct simulation *sim = w->sim;
    memset(out, 0, sizeof(*out));
    out->failed = true;
    json_t *request = json_loads(row->request, 0, NULL), *errors = json_array();
    struct eng_case c;
    struct eng_history h;
    memset(&h, 0, sizeof(h));
    if (request == NULL || errors == NULL || !case_from_json(request, &c, errors) || stored_history(row, &h) != 0) {
        log_msg(LOG_ERROR, "request %s: recorded case %s does not read", sim->req->request_id, row->case_id);
        goto out;
    }
    struct db_cost_settings stored;
    if (stored_inputs(row, &stored) != 0) {
        /* Recorded before its inputs were: the settings are unknown, so
         * replay it as if none were set, and say how many. */
        memset(&stored, 0xff, sizeof(stored)); /* every number -1: not set */
        stored.sku_currency[0] = '\0';
        stored.policy = NULL;
        out->without_inputs = true;
    }
    stored_account(row, &stored);
    if (decide_under(&c, &stored, was_policy, &h, row->decided_at, &w->was, &out->was) != 0
        || decide_under(&c, &stored, &sim->candidate, &h, row->decided_at, &w->would, &out->would) != 0) {
        log_msg(LOG_ERROR, "request %s: the engine refused recorded case %s", sim->req->request_id, row->case_id);
        goto out;
    }
    out->currency = eng_currency_index(c.order.currency);
    out->failed = false;
out:
    json_decref(request);
    json_decref(errors);
}

static void *replay_share(void *cls)
{
    struct replay_worker *w = cls;
    for (int i = w->first; i < w->end; i++)
        replay_row(w, &w->rows[i], w->sim->page_policy[i], &w->sim->page[i]);
    return NULL;
}

/* Before a page is replayed (the connection is free): the version each
 * row was decided with. */
static int prepare_page(const struct db_replay_row *rows, int n, void *cls)
{
    struct simulation *sim = cls;
    for (int i = 0; i < n; i++) {
        sim->page_policy[i] = version_policy(sim, rows[i].policy_version);
        if (sim->page_policy[i] == NULL) {
            log_msg(LOG_ERROR, "request %s: policy version %d of case %s could not be read", sim->req->request_id,
                    rows[i].policy_version, rows[i].case_id);
            return -1;
        }
    }
    return 0;
}

/* Add one replayed row to the totals, in the cases' order. */
static void tally(struct simulation *sim, const struct db_replay_row *row, const struct replayed *r)
{
    const struct outcome *was = &r->was, *would = &r->would;
    sim->cases++;
    sim->without_inputs += r->without_inputs;
    if (strcmp(ENG_TIER_NAMES[was->tier], row->tier) != 0
        || strcmp(ENG_ACTION_NAMES[was->primary], row->primary_action) != 0 || was->cost != row->remedy_cost
        || was->full_return_cost != row->full_return_cost)
        sim->fidelity_mismatches++;
    count(&sim->before, was, r->currency);
    count(&sim->after, would, r->currency);
    if (was->tier != would->tier || was->primary != would->primary || was->cost != would->cost
        || was->refund_amount != would->refund_amount) {
        sim->changed++;
        char from[64], to[64];
        snprintf(from, sizeof(from), "%s/%s", ENG_TIER_NAMES[was->tier], ENG_ACTION_NAMES[was->primary]);
        snprintf(to, sizeof(to), "%s/%s", ENG_TIER_NAMES[would->tier], ENG_ACTION_NAMES[would->primary]);
        add_to(sim->changes, from, to, 1);
        int64_t delta = would->cost - was->cost;
        add_to(sim->by_category, row->category, row->currency, delta);
        add_to(sim->by_sku, row->sku, row->currency, delta);
        if (json_array_size(sim->examples) < MAX_EXAMPLES)
            json_array_append_new(sim->examples, json_pack("{s:s, s:s, s:o, s:o}", "case_id", row->case_id,
                                                           "currency", row->currency, "before", brief(was),
                                                           "after", brief(would)));
    }
}

/* A page (while the database reads the next): the rows split in equal
 * shares over REPLAY_THREADS workers, this thread taking the last; then
 * the totals, in order, so the result is the one a single thread gives. */
static int replay_page(const struct db_replay_row *rows, int n, void *cls)
{
    struct simulation *sim = cls;
    pthread_t threads[REPLAY_THREADS];
    bool started[REPLAY_THREADS] = { false };
    for (int t = 0; t < REPLAY_THREADS; t++) {
        struct replay_worker *w = &sim->workers[t];
        w->sim = sim;
        w->rows = rows;
        w->first = (int)((int64_t)n * t / REPLAY_THREADS);
        w->end = (int)((int64_t)n * (t + 1) / REPLAY_THREADS);
        /* a worker that cannot be started leaves its share to this thread */
        if (t < REPLAY_THREADS - 1 && w->first < w->end)
            started[t] = pthread_create(&threads[t], NULL, replay_share, w) == 0;
    }
    for (int t = 0; t < REPLAY_THREADS; t++)
        if (!started[t])
            replay_share(&sim->workers[t]);
    for (int t = 0; t < REPLAY_THREADS; t++)
        if (started[t])
            pthread_join(threads[t], NULL);
    for (int i = 0; i < n; i++) {
        if (sim->page[i].failed)
            return -1;
        tally(sim, &rows[i], &sim->page[i]);
    }
    return 0;
}

static json_t *side_to_json(const struct side *s)
{
    json_t *tiers = json_object(), *actions = json_object(), *totals = json_array();
    for (int t = 0; t < TIER_COUNT; t++)
        json_object_set_new(tiers, ENG_TIER_NAMES[t], json_integer(s->by_tier[t]));
    for (int a = 0; a < ACT_COUNT; a++)
        if (s->by_action[a] > 0)
            json_object_set_new(actions, ENG_ACTION_NAMES[a], json_integer(s->by_action[a]));
    for (int i = 0; i < ENG_CURRENCY_COUNT; i++)
        if (s->seen[i])
            json_array_append_new(totals, json_pack("{s:s, s:I, s:I}", "currency", eng_currency_at(i)->code,
                                                    "remedy_cost", (json_int_t)s->remedy_cost[i], "savings",
                                                    (json_int_t)s->savings[i]));
    return json_pack("{s:o, s:o, s:o, s:i, s:i}", "by_tier", tiers, "by_primary_action", actions, "totals", totals,
                     "firm", (int)s->firm, "manual_review", (int)s->manual_review);
}

struct ranked {
    const char *key;
    int64_t value;
};

static int by_magnitude(const void *a, const void *b)
{
    int64_t x = llabs(((const struct ranked *)a)->value), y = llabs(((const struct ranked *)b)->value);
    if (x != y)
        return x < y ? 1 : -1;
    return strcmp(((const struct ranked *)a)->key, ((const struct ranked *)b)->key);
}

/* A "a\nb" → value map as [{first, second, value_name}], largest first, at most limit. */
static json_t *ranked_list(json_t *map, const char *first, const char *second, const char *value_name, size_t limit)
{
    size_t n = json_object_size(map), i = 0;
    struct ranked *items = n ? calloc(n, sizeof(*items)) : NULL;
    json_t *list = json_array();
    const char *key;
    json_t *value;
    if (n > 0 && items == NULL)
        return list;
    json_object_foreach(map, key, value) {
        items[i].key = key;
        items[i++].value = json_integer_value(value);
    }
    if (n > 1)
        qsort(items, n, sizeof(*items), by_magnitude);
    for (i = 0; i < n && i < limit; i++) {
        const char *split = strchr(items[i].key, '\n');
        json_array_append_new(list, json_pack("{s:s%, s:s, s:I}", first, items[i].key, (size_t)(split - items[i].key),
                                              second, split + 1, value_name, (json_int_t)items[i].value));
    }
    free(items);
    return list;
}

/* ---- the request ---- */

struct simulate_request {
    int64_t from, to;
    int category, channel;
    const char *sku;
};

#define SIM_AT(member) offsetof(struct simulate_request, member)
static const struct field_spec SIMULATE_FIELDS[] = {
    { "from", FIELD_TIME, false, SIM_AT(from), 0, 0, NULL, 0, NULL },
    { "to", FIELD_TIME, false, SIM_AT(to), 0, 0, NULL, 0, NULL },
    { "filter", FIELD_OBJECT, false, 0, 0, 0, NULL, 0, NULL },
    { "filter.category", FIELD_ENUM, false, SIM_AT(category), 0, 0, ENG_CATEGORY_NAMES, CAT_COUNT, NULL },
    { "filter.sku", FIELD_STRING, false, SIM_AT(sku), 1, 128, NULL, 0, NULL },
    { "filter.channel", FIELD_ENUM, false, SIM_AT(channel), 0, 0, ENG_CHANNEL_NAMES, CHANNEL_COUNT, NULL },
};

/* The candidate: a whole document, or a version the tenant has. */
static bool read_candidate(struct simulation *sim, const json_t *policy, json_t *errors)
{
    if (json_is_integer(policy)) {
        json_int_t version = json_integer_value(policy);
        const struct eng_policy *known =
            version < 1 || version > 1000000000 ? NULL : version_policy(sim, (int)version);
        if (known == NULL) {
            validate_error(errors, "policy", "is not a version of this tenant's policy");
            return false;
        }
        sim->candidate = *known;
        return true;
    }
    if (!json_is_object(policy)) {
        validate_error(errors, "policy", "is required: a whole policy document, or a version number");
        return false;
    }
    json_t *own = json_array();
    const char *note;
    bool valid = own != NULL && policy_from_json(policy, &sim->candidate, &note, own);
    size_t i;
    json_t *e;
    json_array_foreach(own, i, e) {
        /* the candidate's own paths, under "policy" */
        const char *field = json_string_value(json_object_get(e, "field"));
        char path[160];
        snprintf(path, sizeof(path), "policy%s%s", field && field[0] ? "." : "", field ? field : "");
        json_array_append_new(errors, json_pack("{s:s, s:O}", "field", path, "message", json_object_get(e, "message")));
    }
    json_decref(own);
    sim->candidate.version = 0; /* a candidate has no number */
    return valid;
}

enum MHD_Result handle_policy_simulate(struct http_request *req)
{
    json_t *rest = json_deep_copy(req->json), *errors = json_array();
    struct simulation *sim = calloc(1, sizeof(*sim));
    enum MHD_Result result;
    if (rest == NULL || errors == NULL || sim == NULL) {
        result = http_reply_problem(req, PROBLEM_INTERNAL, "out of memory");
        goto out;
    }
    sim->req = req;
    json_t *policy = json_incref(json_object_get(rest, "policy"));
    json_object_del(rest, "policy");
    struct simulate_request in;
    memset(&in, 0, sizeof(in));
    bool valid = validate_json(rest, SIMULATE_FIELDS, sizeof(SIMULATE_FIELDS) / sizeof(SIMULATE_FIELDS[0]), &in,
                               errors);
    valid = read_candidate(sim, policy, errors) && valid;
    json_decref(policy);
    const json_t *filter = json_object_get(rest, "filter");
    if (json_object_get(rest, "from") == NULL)
        in.from = 0;
    if (json_object_get(rest, "to") == NULL)
        in.to = (int64_t)time(NULL) + 1;
    if (valid && in.from >= in.to) {
        validate_error(errors, "to", "must be after from");
        valid = false;
    }
    if (!valid) {
        result = http_reply_invalid(req, errors);
        errors = NULL; /* the reply took it */
        goto out;
    }
    char from[32], to[32];
    validate_format_time(in.from, from);
    validate_format_time(in.to, to);
    struct db_replay_filter f = {
        .from = from,
        .to = to,
        .category = json_object_get(filter, "category") ? ENG_CATEGORY_NAMES[in.category] : NULL,
        .sku = json_object_get(filter, "sku") ? in.sku : NULL,
        .channel = json_object_get(filter, "channel") ? ENG_CHANNEL_NAMES[in.channel] : NULL,
    };
    sim->changes = json_object();
    sim->by_category = json_object();
    sim->by_sku = json_object();
    sim->examples = json_array();
    if (!sim->changes || !sim->by_category || !sim->by_sku || !sim->examples) {
        result = http_reply_problem(req, PROBLEM_INTERNAL, "out of memory");
        goto out;
    }
    enum db_status status = db_cases_replay(req->db, req->tenant.id, &f, REPLAY_PAGE, prepare_page, replay_page, sim);
    if (status != DB_OK) {
        result = status == DB_ERROR ? http_reply_problem(req, PROBLEM_INTERNAL, "a recorded case could not be replayed")
                                    : http_reply_db_error(req, status);
        goto out;
    }
    json_t *changes = ranked_list(sim->changes, "from", "to", "cases", TOP_CHANGES);
    json_t *body = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:O}", "from", from, "to", to,
                             "cases", (json_int_t)sim->cases, "changed", (json_int_t)sim->changed,
                             "fidelity_mismatches", (json_int_t)sim->fidelity_mismatches, "cases_without_inputs",
                             (json_int_t)sim->without_inputs, "before", side_to_json(&sim->before), "after",
                             side_to_json(&sim->after), "top_changes", changes, "cost_delta_by_category",
                             ranked_list(sim->by_category, "category", "currency", "delta", CAT_COUNT * ENG_CURRENCY_COUNT),
                             "cost_delta_by_sku", ranked_list(sim->by_sku, "sku", "currency", "delta", TOP_SKUS),
                             "changed_cases", sim->examples);
    result = body ? http_reply_json(req, 200, body) : http_reply_problem(req, PROBLEM_INTERNAL, "out of memory");
out:
    if (sim != NULL) {
        json_decref(sim->changes);
        json_decref(sim->by_category);
        json_decref(sim->by_sku);
        json_decref(sim->examples);
        for (int i = 0; i < sim->n_versions; i++)
            free(sim->versions[i]);
        free(sim->versions);
    }
    free(sim);
    json_decref(rest);
    json_decref(errors);
    return result;
}
