/* The policy document: validate_json() specs built once from the engine's
 * table of tunables, the categories and the currencies, so a field is
 * described in one place (engine.h) and named here only by its path. */
#include "policy_json.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "validate.h"

/* Where validate_json() puts the values: wide integers, copied into an
 * eng_policy once valid. */
struct policy_values {
    int64_t tunables[ENG_TUNABLE_COUNT];
    int64_t goodwill[CAT_COUNT];
    unsigned allowed[CAT_COUNT];
    int ceiling[CAT_COUNT];
    int64_t limits[ENG_CURRENCY_COUNT];
    const char *note;
};

/* The tiers a seller may cap a category at: the first three tier names. */
enum { CEILING_NAMES = TIER_COURTESY + 1 };

enum {
    SPEC_COUNT = POLICY_GROUP_COUNT + ENG_TUNABLE_COUNT + 1 + CAT_COUNT * 4 + 1 + ENG_CURRENCY_COUNT + 1,
    PATH_MAX_LEN = 64,
};

/* Built once (pthread_once) and read-only after: paths and default texts
 * live in these arrays. */
static struct field_spec specs[SPEC_COUNT];
static size_t n_specs;
static char paths[SPEC_COUNT][PATH_MAX_LEN];
static char defaults[SPEC_COUNT][24];
static pthread_once_t specs_once = PTHREAD_ONCE_INIT;

/* A spec at the path a.b.c (b and c may be NULL). */
static struct field_spec *add_spec(enum field_kind kind, size_t offset, const char *a, const char *b,
                                   const char *c)
{
    size_t i = n_specs++;
    snprintf(paths[i], PATH_MAX_LEN, "%s%s%s%s%s", a, b ? "." : "", b ? b : "", c ? "." : "", c ? c : "");
    specs[i] = (struct field_spec){ .path = paths[i], .kind = kind, .offset = offset };
    return &specs[i];
}

static void default_int(struct field_spec *spec, int64_t value)
{
    size_t i = (size_t)(spec - specs);
    snprintf(defaults[i], sizeof(defaults[i]), "%lld", (long long)value);
    spec->default_value = defaults[i];
}

#define AT(member) offsetof(struct policy_values, member)

static void build_specs(void)
{
    const struct eng_policy *d = eng_policy_default();
    for (int g = 0; g < POLICY_GROUP_COUNT; g++)
        add_spec(FIELD_OBJECT, 0, ENG_POLICY_GROUP_NAMES[g], NULL, NULL);
    for (int i = 0; i < ENG_TUNABLE_COUNT; i++) {
        const struct eng_tunable *t = &ENG_TUNABLES[i];
        struct field_spec *s = add_spec(t->kind == TUNABLE_BOOL ? FIELD_BOOL : FIELD_INT,
                                        AT(tunables) + (size_t)i * sizeof(int64_t), ENG_POLICY_GROUP_NAMES[t->group],
                                        t->name, NULL);
        s->min = t->min;
        s->max = t->max;
        if (t->kind == TUNABLE_BOOL)
            s->default_value = eng_tunable_get(d, t) ? "true" : "false";
        else
            default_int(s, eng_tunable_get(d, t));
    }
    add_spec(FIELD_OBJECT, 0, "categories", NULL, NULL);
    for (int c = 0; c < CAT_COUNT; c++) {
        const char *name = ENG_CATEGORY_NAMES[c];
        const struct eng_category_rule *rule = &d->categories[c];
        add_spec(FIELD_OBJECT, 0, "categories", name, NULL);
        struct field_spec *s = add_spec(FIELD_INT, AT(goodwill) + (size_t)c * sizeof(int64_t),
                                        "categories", name, "goodwill_percent");
        s->min = 0;
        s->max = 100;
        default_int(s, rule->goodwill_percent);
        s = add_spec(FIELD_ENUM_SET, AT(allowed) + (size_t)c * sizeof(unsigned), "categories", name,
                     "allowed_actions");
        s->names = ENG_ACTION_NAMES;
        s->n_names = ACT_COUNT;
        s->default_value = "all";
        s = add_spec(FIELD_ENUM, AT(ceiling) + (size_t)c * sizeof(int), "categories", name, "tier_ceiling");
        s->names = ENG_TIER_NAMES;
        s->n_names = CEILING_NAMES;
        s->default_value = ENG_TIER_NAMES[rule->tier_ceiling];
    }
    add_spec(FIELD_OBJECT, 0, "auto_approve_limit", NULL, NULL);
    for (int i = 0; i < ENG_CURRENCY_COUNT; i++) {
        struct field_spec *s = add_spec(FIELD_INT, AT(limits) + (size_t)i * sizeof(int64_t), "auto_approve_limit",
                                        eng_currency_at(i)->code, NULL);
        s->min = 0;
        s->max = ENG_POLICY_MONEY_MAX;
        default_int(s, d->auto_approve_limit[i]);
    }
    struct field_spec *note = add_spec(FIELD_STRING, AT(note), "note", NULL, NULL);
    note->max = POLICY_NOTE_MAX;
}

_Static_assert(ACT_COUNT < 32, "allowed_actions is a bit mask in an unsigned");

static void report_rule(const char *path, const char *message, void *cls)
{
    validate_error(cls, path, "%s", message);
}

bool policy_from_json(const json_t *doc, struct eng_policy *out, const char **note, json_t *errors)
{
    pthread_once(&specs_once, build_specs);
    *out = *eng_policy_default();
    *note = NULL;
    if (!json_is_object(doc)) {
        validate_error(errors, "", "must be a JSON object");
        return false;
    }
    /* Start from the defaults: a field that fails keeps its default, so
     * the cross-field rules still judge the others and every offending
     * field is named in one answer. */
    struct policy_values v;
    memset(&v, 0, sizeof(v));
    for (int i = 0; i < ENG_TUNABLE_COUNT; i++)
        v.tunables[i] = eng_tunable_get(out, &ENG_TUNABLES[i]);
    for (int c = 0; c < CAT_COUNT; c++) {
        v.goodwill[c] = out->categories[c].goodwill_percent;
        v.allowed[c] = out->categories[c].allowed_actions;
        v.ceiling[c] = (int)out->categories[c].tier_ceiling;
    }
    for (int i = 0; i < ENG_CURRENCY_COUNT; i++)
        v.limits[i] = out->auto_approve_limit[i];
    bool valid = validate_json(doc, specs, n_specs, &v, errors);
    for (int i = 0; i < ENG_TUNABLE_COUNT; i++)
        eng_tunable_set(out, &ENG_TUNABLES[i], v.tunables[i]);
    for (int c = 0; c < CAT_COUNT; c++) {
        out->categories[c].goodwill_percent = (int)v.goodwill[c];
        out->categories[c].allowed_actions = v.allowed[c];
        out->categories[c].tier_ceiling = (enum eng_tier)v.ceiling[c];
    }
    for (int i = 0; i < ENG_CURRENCY_COUNT; i++)
        out->auto_approve_limit[i] = v.limits[i];
    *note = v.note;
    return eng_policy_check(out, report_rule, errors) == 0 && valid;
}

json_t *policy_to_json(const struct eng_policy *p)
{
    json_t *doc = json_object();
    json_t *groups[POLICY_GROUP_COUNT];
    bool ok = doc != NULL;
    for (int g = 0; g < POLICY_GROUP_COUNT; g++) {
        groups[g] = json_object();
        ok = ok && json_object_set_new(doc, ENG_POLICY_GROUP_NAMES[g], groups[g]) == 0;
    }
    for (int i = 0; ok && i < ENG_TUNABLE_COUNT; i++) {
        const struct eng_tunable *t = &ENG_TUNABLES[i];
        int64_t value = eng_tunable_get(p, t);
        ok = json_object_set_new(groups[t->group], t->name,
                                 t->kind == TUNABLE_BOOL ? json_boolean(value) : json_integer(value)) == 0;
    }
    json_t *categories = json_object();
    ok = ok && json_object_set_new(doc, "categories", categories) == 0;
    for (int c = 0; ok && c < CAT_COUNT; c++) {
        const struct eng_category_rule *rule = &p->categories[c];
        json_t *actions = json_array();
        for (int a = 0; actions != NULL && a < ACT_COUNT; a++)
            if (rule->allowed_actions & ENG_ACTION_BIT(a))
                json_array_append_new(actions, json_string(ENG_ACTION_NAMES[a]));
        ok = json_object_set_new(categories, ENG_CATEGORY_NAMES[c],
                                 json_pack("{s:i, s:o, s:s}", "goodwill_percent", rule->goodwill_percent,
                                           "allowed_actions", actions, "tier_ceiling",
                                           ENG_TIER_NAMES[rule->tier_ceiling])) == 0;
    }
    json_t *limits = json_object();
    ok = ok && json_object_set_new(doc, "auto_approve_limit", limits) == 0;
    for (int i = 0; ok && i < ENG_CURRENCY_COUNT; i++)
        if (p->auto_approve_limit[i] >= 0)
            ok = json_object_set_new(limits, eng_currency_at(i)->code, json_integer(p->auto_approve_limit[i])) == 0;
    if (!ok) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}
