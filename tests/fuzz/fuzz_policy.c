/* The policy document validator (policy_from_json) on arbitrary bytes: the
 * first byte says whether the rest is a whole document or a patch merged
 * over version 1's document (so that short inputs reach every field).
 *
 * Beyond the sanitizers: valid exactly when no error was reported, each
 * error naming its field; and a valid policy survives the round trip: its
 * document reads back valid and writes out the same bytes again. */
#include <jansson.h>

#include "engine.h"
#include "fuzz_input.h"
#include "policy_json.h"

static void check_errors(const json_t *errors, bool valid)
{
    FUZZ_REQUIRE(valid == (json_array_size(errors) == 0));
    size_t i;
    const json_t *error;
    json_array_foreach(errors, i, error) {
        FUZZ_REQUIRE(json_is_string(json_object_get(error, "field")));
        FUZZ_REQUIRE(json_is_string(json_object_get(error, "message")));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = { data, size };
    bool as_patch = fuzz_bool(&in);
    json_t *input = json_loadb((const char *)in.data, in.size, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(input)) {
        json_decref(input);
        return 0;
    }
    json_t *doc = input;
    if (as_patch) {
        doc = policy_to_json(eng_policy_default());
        FUZZ_REQUIRE(doc != NULL);
        json_object_update_recursive(doc, input);
        json_decref(input);
    }

    struct eng_policy policy;
    const char *note = NULL;
    json_t *errors = json_array();
    bool valid = policy_from_json(doc, &policy, &note, errors);
    check_errors(errors, valid);
    json_decref(errors);
    if (valid) {
        json_t *written = policy_to_json(&policy);
        FUZZ_REQUIRE(written != NULL);
        struct eng_policy again;
        json_t *errors_again = json_array();
        FUZZ_REQUIRE(policy_from_json(written, &again, &note, errors_again));
        json_t *rewritten = policy_to_json(&again);
        char *first = json_dumps(written, JSON_SORT_KEYS | JSON_COMPACT);
        char *second = json_dumps(rewritten, JSON_SORT_KEYS | JSON_COMPACT);
        FUZZ_REQUIRE(first != NULL && second != NULL && strcmp(first, second) == 0);
        free(first);
        free(second);
        json_decref(rewritten);
        json_decref(errors_again);
        json_decref(written);
    }
    json_decref(doc);
    return 0;
}
