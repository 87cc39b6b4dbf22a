/* The compliance guard (eng_guard_check) on arbitrary text: the first byte
 * picks the channel, the rest is the reply (as POST /v1/replies/check and
 * every generated reply pass it: a C string).
 *
 * Beyond the sanitizers: passed exactly when there is no violation, at
 * most ENG_MAX_VIOLATIONS, each with a code and a terminated detail; the
 * same text gives the same verdict twice (no hidden state); and for valid
 * UTF-8 text (all the API can send) the result turns into JSON, so that
 * quoting the text never makes the reply check answer 500. */
#include <jansson.h>

#include "case_json.h"
#include "engine.h"
#include "fuzz_input.h"

static void check_result(const struct eng_guard_result *g)
{
    FUZZ_REQUIRE(g->n_violations >= 0 && g->n_violations <= ENG_MAX_VIOLATIONS);
    FUZZ_REQUIRE(g->passed == (g->n_violations == 0));
    for (int i = 0; i < g->n_violations; i++) {
        FUZZ_REQUIRE(g->violations[i].code != NULL && g->violations[i].code[0] != '\0');
        FUZZ_REQUIRE(memchr(g->violations[i].detail, '\0', ENG_DETAIL_MAX) != NULL);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = { data, size };
    enum eng_channel channel = (enum eng_channel)(fuzz_byte(&in) % CHANNEL_COUNT);
    char *text = fuzz_rest(&in);

    struct eng_guard_result first, again;
    eng_guard_check(channel, text, &first);
    check_result(&first);
    eng_guard_check(channel, text, &again);
    FUZZ_REQUIRE(first.passed == again.passed && first.n_violations == again.n_violations);
    for (int i = 0; i < first.n_violations; i++) {
        FUZZ_REQUIRE(strcmp(first.violations[i].code, again.violations[i].code) == 0);
        FUZZ_REQUIRE(strcmp(first.violations[i].detail, again.violations[i].detail) == 0);
    }

    json_t *as_json_text = json_string(text); /* NULL unless valid UTF-8 */
    if (as_json_text != NULL) {
        json_t *result = guard_result_to_json(&first);
        FUZZ_REQUIRE(result != NULL);
        json_decref(result);
        json_decref(as_json_text);
    }
    free(text);
    return 0;
}
