/* Triage: the category, the language and the signals of a buyer's message,
 * read from the words themselves (issue #11). Pure: no I/O, the same text
 * always gives the same answer.
 *
 * The lexicons are data (service/engine/triage/<tag>.json, embedded in the
 * binary, checked at start): per language, weighted phrases for each of
 * the 15 categories, phrases for each signal, negation cues with their
 * window, words that end a negation's reach, stop words that tell the
 * Latin languages apart, and the lines that start an e-mail's quoted
 * history. zh-variants.json maps Traditional characters to Simplified, so
 * one phrase matches both scripts.
 *
 * Messages and phrases pass through one normaliser (normalise, below):
 * case folded, Latin diacritics stripped, full-width forms as ASCII,
 * Traditional as Simplified, apostrophes and hyphens as spaces,
 * punctuation as a clause break ('|'). Every phrase of every language is
 * one pattern of a single Aho-Corasick automaton, so a message is read in
 * one pass whatever the number of phrases, in time linear in its length;
 * what a pass may record is capped (HITS_MAX, CUES_MAX), so adversarial
 * text (a keyword 2,000 times, no spaces, every script at once) costs no
 * more than any other text of its length.
 *
 * Then, per matched phrase: words inside quotation marks are the listing's
 * or the seller's, not the buyer's, and count for nothing; a phrase is
 * negated when a cue ("not", "kein", 不是) ends at most `window` tokens
 * before it (or, for cues such as Japanese ない, starts at most `window`
 * tokens after it) in the same clause, with no scope_end word ("but",
 * 而是) between; a cue inside a longer matched phrase ("not working")
 * negates nothing else. A category's score is the sum of the weights of
 * its distinct phrases that count; confidence = best / (best + second + 1). */
#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "embedded.h"
#include "engine_internal.h"

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

#define ENG_TRIAGE_SIGNAL_NAME(id, name) [id] = name,
const char *const ENG_TRIAGE_SIGNAL_NAMES[TRIAGE_SIGNAL_COUNT] = { ENG_TRIAGE_SIGNALS(ENG_TRIAGE_SIGNAL_NAME) };
#undef ENG_TRIAGE_SIGNAL_NAME

enum {
    PHRASE_MAX = 120,      /* normalised bytes of one phrase */
    WEIGHT_MAX = 5,
    WINDOW_MAX = 8,        /* tokens a negation cue reaches */
    HITS_MAX = 2048,       /* phrase matches one message may record ... */
    CUES_MAX = 512,        /* ... negation cues and scope ends */

    TOKENS_PER_PHRASE_MAX = 64, /* a phrase of PHRASE_MAX bytes spans at most this many tokens */
    REPLY_HEADER_MAX = 64, /* bytes of one reply-history marker */
    PARTS_MAX = 1024,      /* parts of "A ... B" phrases one message may record */
    COMBO_GAP = 12,        /* tokens at most between the two parts of "A ... B" */
    ROW_DEPTH = 1,         /* states this deep or shallower have full rows of moves */
};
_Static_assert(PHRASE_MAX <= UINT8_MAX, "a pattern's length fits in a byte");
_Static_assert(PHRASE_MAX / 2 + 1 <= TOKENS_PER_PHRASE_MAX, "one-letter words: a phrase's tokens are bounded");

#define LEXICON_DIR "service/engine/triage/"
#define VARIANTS_PATH LEXICON_DIR "zh-variants.json"

enum pattern_kind { PK_CATEGORY, PK_SIGNAL, PK_STOPWORD, PK_NEG_BEFORE, PK_NEG_AFTER, PK_SCOPE_END,
                    PK_MERGED, /* the same phrase of another language of its family: never matched */
                    PK_PART /* a part of "ordered ... received": joined to its combo's other part */ };

struct pattern {
    uint8_t kind;       /* enum pattern_kind */
    uint8_t language;   /* enum eng_language of the file it came from */
    uint8_t languages;  /* language_bit()s of every file that has it (merged twins) */
    uint8_t which;      /* category or signal */
    uint8_t weight;     /* category phrases */
    uint8_t window;     /* negation cues: the language's window */
    uint8_t len;        /* normalised bytes */
    bool open_start;    /* "*karton": may start inside a word */
    bool open_end;      /* "kaputt*": may end inside a word */
    bool word_end;      /* ends on a Latin letter or digit, not open: needs the word to end there */
    int32_t next;       /* the next pattern ending in the same state, -1 */
    /* "A ... B": the combo (a category or signal pattern of length 0,
     * never matched itself) names its parts; a part, the combos it ends
     * (combos_by_b[first_combo .. + n_combos)); a merged part, its twin. */
    int32_t part_a, part_b;
    int32_t first_combo, n_combos;
    int32_t same_as;
};

/* Phrases of one family read alike: Simplified and Traditional Chinese
 * are one text once normalised; Japanese shares their characters but not
 * their meanings (破損 is the item, 外盒破损 the box); the Latin languages
 * share a script and, in mixed messages, words. */
enum family { FAMILY_LATIN, FAMILY_CHINESE, FAMILY_JAPANESE };

static enum family family_of(int language)
{
    return language == LANG_ZH_HANS || language == LANG_ZH_HANT ? FAMILY_CHINESE
           : language == LANG_JA                                ? FAMILY_JAPANESE
                                                                : FAMILY_LATIN;
}

/* A language as a bit; the two Chinese files are one reader. */
static uint8_t language_bit(int language)
{
    if (family_of(language) == FAMILY_CHINESE)
        return (uint8_t)((1u << LANG_ZH_HANS) | (1u << LANG_ZH_HANT));
    return (uint8_t)(1u << language);
}
_Static_assert(LANG_COUNT <= 8, "a pattern's languages are the bits of a byte");

/* ---- the Traditional → Simplified table ---- */

struct variant {
    uint32_t from, to;
};

/* One state of the automaton, all a move reads in one place. */
struct ac_state {
    int32_t fail;        /* the longest proper suffix that is a state */
    int32_t out;         /* the first pattern ending here, -1 */
    int32_t dict;        /* the nearest state on the fail chain with a pattern, -1 */
    int32_t first_edge;  /* its moves: edge_byte/edge_to[first_edge .. + n_edges), by byte */
    int32_t row;         /* its full row in rows, -1 */
    int32_t only_to;     /* with one move (most deep states: a phrase's letters), where it goes ... */
    uint8_t only_byte;   /* ... and on which byte: read without touching the edge arrays */
    uint16_t n_edges;
    bool emits;          /* a pattern ends here or on its fail chain */
    bool emits_in_word;  /* ... one that may end inside a word (open, or not Latin) */
};

/* The matcher, built once by eng_triage_init; read-only afterwards. */
static struct {
    bool ready;
    struct pattern *patterns;
    int32_t n_patterns;
    /* Aho-Corasick: state 0 is the root (its moves in root_next); the
     * others' moves are in edge_byte/edge_to (struct ac_state). */
    int32_t n_states;
    int32_t root_next[256];
    /* States up to ROW_DEPTH bytes deep move through full rows (a miss
     * already resolved through the fail links): most text is read there,
     * and a miss deeper falls back to one of them in a step or two. */
    int32_t *rows;                   /* 256 moves each */
    int32_t *combos_by_b;            /* combos, grouped by the part that ends them */
    struct ac_state *states;
    uint8_t *edge_byte;
    int32_t *edge_to;
    uint32_t *han;                   /* HAN_FIRST..HAN_LAST: see han_variant */
    struct variant *variants;        /* by from */
    uint32_t *simplified;            /* the table's targets, sorted: Simplified-only characters */
    size_t n_variants;
    char (*reply_headers)[REPLY_HEADER_MAX];
    size_t n_reply_headers;
} lex;

static int variant_cmp(const void *a, const void *b)
{
    uint32_t x = ((const struct variant *)a)->from, y = ((const struct variant *)b)->from;
    return (x > y) - (x < y);
}

static int u32_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static const struct variant *variant_of(const struct variant *table, size_t n, uint32_t cp)
{
    struct variant key = { cp, 0 };
    return n ? bsearch(&key, table, n, sizeof(*table), variant_cmp) : NULL;
}

/* ---- normalising ---- */

/* Latin letters with diacritics (lower case; Latin-1 capitals are folded
 * first) as the ASCII a reader without the accent would type. */
struct strip_rule {
    uint16_t first, last;
    const char *as;
};
static const struct strip_rule STRIP[] = {
    { 0xDF, 0xDF, "ss" }, { 0xE0, 0xE5, "a" }, { 0xE6, 0xE6, "ae" }, { 0xE7, 0xE7, "c" },
    { 0xE8, 0xEB, "e" }, { 0xEC, 0xEF, "i" }, { 0xF0, 0xF0, "d" }, { 0xF1, 0xF1, "n" },
    { 0xF2, 0xF6, "o" }, { 0xF8, 0xF8, "o" }, { 0xF9, 0xFC, "u" }, { 0xFD, 0xFD, "y" },
    { 0xFE, 0xFE, "th" }, { 0xFF, 0xFF, "y" }, { 0x100, 0x105, "a" }, { 0x106, 0x10D, "c" },
    { 0x10E, 0x111, "d" }, { 0x112, 0x11B, "e" }, { 0x11C, 0x123, "g" }, { 0x124, 0x127, "h" },
    { 0x128, 0x131, "i" }, { 0x132, 0x133, "ij" }, { 0x134, 0x135, "j" }, { 0x136, 0x138, "k" },
    { 0x139, 0x142, "l" }, { 0x143, 0x14B, "n" }, { 0x14C, 0x151, "o" }, { 0x152, 0x153, "oe" },
    { 0x154, 0x159, "r" }, { 0x15A, 0x161, "s" }, { 0x162, 0x167, "t" }, { 0x168, 0x173, "u" },
    { 0x174, 0x175, "w" }, { 0x176, 0x178, "y" }, { 0x179, 0x17E, "z" }, { 0x17F, 0x17F, "s" },
};

/* Letters that only some of the Latin languages write: a hint of which. */
static const struct { uint32_t cp; enum eng_language language; } LETTER_HINTS[] = {
    { 0xE4, LANG_DE }, { 0xF6, LANG_DE }, { 0xFC, LANG_DE }, { 0xDF, LANG_DE },
    { 0xE7, LANG_FR }, { 0xEA, LANG_FR }, { 0xE2, LANG_FR }, { 0xEE, LANG_FR }, { 0xF4, LANG_FR },
    { 0xFB, LANG_FR }, { 0xEB, LANG_FR }, { 0xEF, LANG_FR }, { 0x153, LANG_FR },
    { 0xF1, LANG_ES }, { 0xE1, LANG_ES }, { 0xED, LANG_ES }, { 0xF3, LANG_ES }, { 0xFA, LANG_ES },
    { 0xBF, LANG_ES }, { 0xA1, LANG_ES },
    { 0xEC, LANG_IT }, { 0xF2, LANG_IT }, { 0xF9, LANG_IT },
};

static bool is_kana(uint32_t cp)
{
    return (cp >= 0x3040 && cp <= 0x30FF && cp != 0x30FB) || (cp >= 0xFF66 && cp <= 0xFF9F);
}

static bool is_han(uint32_t cp)
{
    return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0xF900 && cp <= 0xFAFF)
           || cp == 0x3005 || (cp >= 0x20000 && cp <= 0x323AF);
}

/* Letters of other scripts (Greek, Cyrillic, Hebrew, Arabic, Indic,
 * Hangul ...) are words no phrase names; symbols, arrows, emoji are not
 * words at all. */
static bool other_letter(uint32_t cp)
{
    return (cp >= 0x0180 && cp < 0x2000) || (cp >= 0xAC00 && cp <= 0xD7AF);
}

enum byte_flag { BF_QUOTED = 1, BF_CJK = 2 };
enum last_emitted { LAST_NONE, LAST_LATIN, LAST_CJK, LAST_CLAUSE };

struct norm {
    /* per normalised byte (capacity cap): */
    char *text;
    uint16_t *orig;     /* offset in the message of the character it came from */
    uint8_t *orig_len;  /* that character's length */
    uint16_t *token;    /* index of its word or CJK character */
    uint16_t *clause;
    uint8_t *flags;     /* enum byte_flag */
    size_t len, cap;
    bool overflow;
    /* state */
    enum last_emitted last;
    bool space_pending;
    bool in_quote;
    size_t quote_start;
    uint16_t tokens, clauses;
    /* what tells the language */
    int kana, han, traditional, simplified, latin;
    int hints[LANG_COUNT];
    /* the character being emitted */
    size_t src, src_len;
};

static inline __attribute__((always_inline)) void put(struct norm *n, char byte, uint8_t flags)
{
    if (n->len == n->cap) {
        n->overflow = true;
        return;
    }
    n->text[n->len] = byte;
    if (n->orig != NULL) {
        n->orig[n->len] = (uint16_t)n->src;
        n->orig_len[n->len] = (uint8_t)n->src_len;
        n->token[n->len] = n->tokens;
        n->clause[n->len] = n->clauses;
        n->flags[n->len] = (uint8_t)(flags | (n->in_quote ? BF_QUOTED : 0));
    }
    n->len++;
}

static inline __attribute__((always_inline)) void latin_byte(struct norm *n, char byte)
{
    if (n->last == LAST_CJK || (n->space_pending && n->last == LAST_LATIN))
        put(n, ' ', 0);
    if (n->last != LAST_LATIN || n->space_pending)
        n->tokens++;
    n->space_pending = false;
    n->last = LAST_LATIN;
    put(n, byte, 0);
}

static void cjk_char(struct norm *n, uint32_t cp)
{
    if (n->last == LAST_LATIN || (n->space_pending && n->last == LAST_CJK))
        put(n, ' ', 0);
    n->space_pending = false;
    n->last = LAST_CJK;
    n->tokens++;
    char utf8[4];
    int k;
    if (cp < 0x10000) {
        utf8[0] = (char)(0xE0 | (cp >> 12));
        utf8[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        utf8[2] = (char)(0x80 | (cp & 0x3F));
        k = 3;
    } else {
        utf8[0] = (char)(0xF0 | (cp >> 18));
        utf8[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        utf8[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        utf8[3] = (char)(0x80 | (cp & 0x3F));
        k = 4;
    }
    for (int i = 0; i < k; i++)
        put(n, utf8[i], BF_CJK);
}

static inline __attribute__((always_inline)) void separator(struct norm *n)
{
    if (n->last == LAST_LATIN || n->last == LAST_CJK)
        n->space_pending = true;
}

static void clause_break(struct norm *n)
{
    n->space_pending = false;
    if (n->last != LAST_CLAUSE && n->last != LAST_NONE) {
        put(n, '|', 0);
        n->clauses++;
    }
    n->last = LAST_CLAUSE;
}

/* Quotation marks (all folded to '"'): what is between two on one line
 * is somebody else's words. */
static void quote_mark(struct norm *n, bool message)
{
    /* 10" and 8": inches, not quotation marks */
    bool inches = n->len > 0 && !n->space_pending && n->last == LAST_LATIN && n->text[n->len - 1] >= '0'
                  && n->text[n->len - 1] <= '9';
    separator(n);
    if (!message || inches)
        return;
    if (!n->in_quote) {
        n->in_quote = true;
        n->quote_start = n->len;
    } else {
        n->in_quote = false;
    }
}

/* A quotation mark left open at the end of a line was not a quotation
 * (5" screen, a stray mark): what followed it counts. */
static void line_end(struct norm *n)
{
    if (n->in_quote && n->flags != NULL)
        for (size_t i = n->quote_start; i < n->len; i++)
            n->flags[i] &= (uint8_t)~BF_QUOTED;
    n->in_quote = false;
}

/* ---- tables for the hot path: built once (pthread_once), read-only ---- */

enum char_class { CC_SEPARATOR, CC_LETTER, CC_DIGIT, CC_QUOTE, CC_BREAK };

static struct {
    uint8_t ascii[128];            /* enum char_class */
    int8_t strip[0x180];           /* U+0000-017F: index in STRIP, -1 */
    int8_t hint[0x180];            /* ... the language the letter hints at, -1 */
} tables;
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static void tables_build(void)
{
    for (int c = 0; c < 128; c++)
        tables.ascii[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ? CC_LETTER
                          : c >= '0' && c <= '9'                          ? CC_DIGIT
                          : c == '"'                                      ? CC_QUOTE
                          : c != '\0' && strchr(".,;:!?()\n\r", c)        ? CC_BREAK
                                                                          : CC_SEPARATOR;
    for (uint32_t cp = 0; cp < 0x180; cp++) {
        uint32_t lower = cp >= 0xC0 && cp <= 0xDE && cp != 0xD7 ? cp + 0x20 : cp == 0x178 ? 0xFF : cp;
        tables.strip[cp] = tables.hint[cp] = -1;
        for (size_t i = 0; i < COUNT(STRIP); i++)
            if (lower >= STRIP[i].first && lower <= STRIP[i].last)
                tables.strip[cp] = (int8_t)i;
        for (size_t i = 0; i < COUNT(LETTER_HINTS); i++)
            if (LETTER_HINTS[i].cp == lower)
                tables.hint[cp] = (int8_t)LETTER_HINTS[i].language;
    }
}

/* The Han characters of the BMP's main blocks, by code point from
 * HAN_FIRST: 0 (in neither column of the variant table), a Simplified
 * target (HAN_SIMPLIFIED), or a Traditional character (HAN_TRADITIONAL |
 * its Simplified twin). Built with the variant table; others bsearch. */
enum { HAN_FIRST = 0x3400, HAN_LAST = 0x9FFF };
#define HAN_TRADITIONAL 0x80000000u
#define HAN_SIMPLIFIED 0x40000000u
#define HAN_TARGET 0x001FFFFFu

static uint32_t han_variant(uint32_t cp)
{
    if (cp >= HAN_FIRST && cp <= HAN_LAST)
        return lex.han ? lex.han[cp - HAN_FIRST] : 0;
    const struct variant *v = variant_of(lex.variants, lex.n_variants, cp);
    if (v != NULL)
        return HAN_TRADITIONAL | v->to;
    if (lex.n_variants && bsearch(&cp, lex.simplified, lex.n_variants, sizeof(uint32_t), u32_cmp))
        return HAN_SIMPLIFIED;
    return 0;
}

static void ascii(struct norm *n, char c, bool message)
{
    switch ((enum char_class)tables.ascii[(unsigned char)c & 0x7F]) {
    case CC_LETTER:
        n->latin++;
        latin_byte(n, (char)(c | 0x20));
        break;
    case CC_DIGIT:
        latin_byte(n, c);
        break;
    case CC_QUOTE:
        quote_mark(n, message);
        break;
    case CC_BREAK:
        clause_break(n);
        break;
    case CC_SEPARATOR:
        separator(n);
        break;
    }
}

static void character(struct norm *n, uint32_t cp, const unsigned char *bytes, size_t len, bool message)
{
    if (cp < 0x80) {
        ascii(n, (char)cp, message);
        return;
    }
    if (cp < 0x180) {
        if (tables.hint[cp] >= 0)
            n->hints[tables.hint[cp]]++;
        if (tables.strip[cp] >= 0) {
            for (const char *p = STRIP[tables.strip[cp]].as; *p; p++)
                latin_byte(n, *p);
            n->latin++;
            return;
        }
    } else if (is_han(cp)) {
        n->han++;
        uint32_t v = han_variant(cp);
        if (v & HAN_TRADITIONAL) {
            n->traditional++;
            cp = v & HAN_TARGET;
        } else if (v & HAN_SIMPLIFIED) {
            n->simplified++;
        }
        cjk_char(n, cp);
        return;
    } else if (is_kana(cp)) {
        n->kana++;
        cjk_char(n, cp);
        return;
    }
    /* a rating in stars (★1, ☆☆☆, ⭐): the word "star", so "1 star" and
     * "★1" read alike */
    if (cp == 0x2605 || cp == 0x2606 || cp == 0x2B50 || (cp >= 0x2729 && cp <= 0x2730)) {
        separator(n);
        for (const char *w = "star"; *w; w++)
            latin_byte(n, *w);
        separator(n);
        return;
    }
    char folded[ENG_FOLD_MAX];
    int k = eng_fold_char(cp, folded);
    if (k >= 0) {
        for (int i = 0; i < k; i++)
            ascii(n, folded[i], message);
        return;
    }
    if (other_letter(cp)) {
        for (size_t i = 0; i < len; i++)
            latin_byte(n, (char)bytes[i]);
        return;
    }
    separator(n);
}

static void normalise_range(struct norm *n, const char *text, size_t from, size_t to, bool message)
{
    pthread_once(&tables_once, tables_build);
    const unsigned char *s = (const unsigned char *)text;
    for (size_t i = from; i < to && !n->overflow;) {
        /* the commonest case: the rest of a Latin word, in one tight run
         * (its token, clause and quoting do not change inside it) */
        uint8_t c = s[i];
        if (c < 0x80 && tables.ascii[c] != CC_SEPARATOR && tables.ascii[c] <= CC_DIGIT && n->last == LAST_LATIN
            && !n->space_pending && n->orig != NULL) {
            size_t at = n->len;
            uint8_t flags = n->in_quote ? BF_QUOTED : 0;
            while (i < to && at < n->cap && s[i] < 0x80 && tables.ascii[s[i]] != CC_SEPARATOR
                   && tables.ascii[s[i]] <= CC_DIGIT) {
                bool letter = tables.ascii[s[i]] == CC_LETTER;
                n->latin += letter;
                n->text[at] = (char)(letter ? s[i] | 0x20 : s[i]);
                n->orig[at] = (uint16_t)i;
                n->orig_len[at] = 1;
                n->token[at] = n->tokens;
                n->clause[at] = n->clauses;
                n->flags[at] = flags;
                at++;
                i++;
            }
            n->len = at;
            if (at == n->cap && i < to)
                n->overflow = true;
            continue;
        }
        /* then ASCII letters, digits and spaces one by one */
        if (c < 0x80 && tables.ascii[c] <= CC_DIGIT) {
            n->src = i;
            n->src_len = 1;
            if (tables.ascii[c] == CC_LETTER) {
                n->latin++;
                latin_byte(n, (char)(c | 0x20));
            } else if (tables.ascii[c] == CC_DIGIT) {
                latin_byte(n, (char)c);
            } else {
                separator(n);
            }
            i++;
            continue;
        }
        uint32_t cp;
        size_t k = eng_utf8_char(s + i, to - i, &cp);
        n->src = i;
        n->src_len = k ? k : 1;
        if (k == 0)
            separator(n); /* not UTF-8: a break between words, nothing more */
        else
            character(n, cp, s + i, k, message);
        i += n->src_len;
    }
}

/* ---- e-mail reply history ---- */

static bool ascii_lower_equal(const char *a, const char *b, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z')
            x = (char)(x + 32);
        if (x != y)
            return false;
    }
    return true;
}

/* Spaces and the rules mail clients draw around a separator line. */
static bool rule_char(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '-' || c == '_' || c == '=' || c == '*';
}

static void trim_rule(const char **text, size_t *len)
{
    while (*len > 0 && rule_char((*text)[*len - 1]))
        (*len)--;
    while (*len > 0 && rule_char(**text)) {
        (*text)++;
        (*len)--;
    }
}

/* A line that begins the quoted history of an e-mail: the whole line is
 * a separator marker ("-----Original Message-----"), or it ends with a
 * "wrote:" marker and carries what such a header carries (a date, a time
 * or an address: a digit or an @). "As I said in my original message" and
 * "Your agent wrote:" are the buyer's own words. */
static bool reply_header(const char *line, size_t len)
{
    trim_rule(&line, &len);
    bool header_like = memchr(line, '@', len) != NULL;
    for (size_t i = 0; i < len && !header_like; i++)
        header_like = line[i] >= '0' && line[i] <= '9';
    for (size_t i = 0; i < lex.n_reply_headers; i++) {
        const char *marker = lex.reply_headers[i];
        size_t m = strlen(marker);
        trim_rule(&marker, &m);
        if (m == 0)
            continue;
        if (m == len && ascii_lower_equal(line, marker, m))
            return true;
        bool ends_wrote = marker[m - 1] == ':' || (m >= 3 && memcmp(marker + m - 3, "\xef\xbc\x9a", 3) == 0);
        if (ends_wrote && header_like && m < len && ascii_lower_equal(line + len - m, marker, m))
            return true;
    }
    return false;
}

/* The message line by line: lines quoted with '>' are skipped, and a
 * reply header ends what is read. */
static void normalise_message(struct norm *n, const char *text, size_t len)
{
    for (size_t start = 0; start < len && !n->overflow;) {
        const char *nl = memchr(text + start, '\n', len - start);
        size_t end = nl ? (size_t)(nl - text) : len;
        size_t first = start;
        while (first < end && (text[first] == ' ' || text[first] == '\t'))
            first++;
        if (reply_header(text + start, end - start))
            break;
        if (first == end || text[first] != '>')
            normalise_range(n, text, start, end, true);
        line_end(n);
        n->src = end;
        n->src_len = 1;
        clause_break(n);
        start = end + 1;
    }
}

/* ---- the lexicons: loading and checking ---- */

struct builder {
    struct pattern *patterns;
    char **texts;
    int32_t n, cap;
    char (*reply_headers)[REPLY_HEADER_MAX];
    size_t n_reply_headers, cap_reply_headers;
    char *err;
    size_t err_size;
    const char *path;
};

static int fail_at(struct builder *b, const char *where, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail_at(struct builder *b, const char *where, const char *fmt, ...)
{
    char detail[256];
    va_list args;
    va_start(args, fmt);
    vsnprintf(detail, sizeof(detail), fmt, args);
    va_end(args);
    snprintf(b->err, b->err_size, "%s: %s: %s", b->path, where, detail);
    return -1;
}

static int add_single(struct builder *b, const char *where, const char *phrase, size_t raw, struct pattern p)
{
    const char *start = phrase, *end = phrase + raw;
    if (raw > 0 && *start == '*') {
        p.open_start = true;
        start++;
    }
    if (end > start && end[-1] == '*') {
        p.open_end = true;
        end--;
    }
    if (memchr(start, '*', (size_t)(end - start)) != NULL)
        return fail_at(b, where, "\"%.*s\": a * stands only at a phrase's (or a part's) start or end", (int)raw,
                       phrase);
    char text[PHRASE_MAX + 8];
    struct norm n = { .text = text, .cap = sizeof(text) };
    normalise_range(&n, start, 0, (size_t)(end - start), false);
    size_t len = n.len;
    if (n.overflow || len > PHRASE_MAX)
        return fail_at(b, where, "\"%.*s\" is longer than 120 bytes once normalised", (int)raw, phrase);
    if (memchr(text, '|', len) != NULL || memchr(text, '"', len) != NULL)
        return fail_at(b, where, "\"%.*s\" holds punctuation that ends a clause; it could never match", (int)raw,
                       phrase);
    if (len == 0)
        return fail_at(b, where, "\"%.*s\" has no letters", (int)raw, phrase);
    if (b->n == b->cap) {
        int32_t cap = b->cap ? b->cap * 2 : 1024;
        struct pattern *patterns = realloc(b->patterns, (size_t)cap * sizeof(*patterns));
        if (patterns == NULL)
            return fail_at(b, where, "%s", "out of memory");
        b->patterns = patterns;
        char **texts = realloc(b->texts, (size_t)cap * sizeof(*texts));
        if (texts == NULL)
            return fail_at(b, where, "%s", "out of memory");
        b->texts = texts;
        b->cap = cap;
    }
    b->texts[b->n] = strndup(text, len);
    if (b->texts[b->n] == NULL)
        return fail_at(b, where, "%s", "out of memory");
    p.len = (uint8_t)len;
    p.next = -1;
    p.languages = language_bit(p.language);
    char last = text[len - 1];
    p.word_end = !p.open_end && ((last >= 'a' && last <= 'z') || (last >= '0' && last <= '9'));
    b->patterns[b->n++] = p;
    return 0;
}

/* A phrase, or "A ... B": A, then B at most COMBO_GAP tokens later (the
 * words between are anything: "ordered the grey one, received navy"). The
 * combo is a pattern of its own, never matched; its parts point at it. */
static int add_pattern(struct builder *b, const char *where, const char *phrase, struct pattern p)
{
    p.part_a = p.part_b = p.same_as = -1;
    const char *gap = strstr(phrase, "...");
    if (gap == NULL)
        return add_single(b, where, phrase, strlen(phrase), p);
    const char *second = gap + 3;
    if (strstr(second, "...") != NULL || (p.kind != PK_CATEGORY && p.kind != PK_SIGNAL))
        return fail_at(b, where, "\"%s\": \"...\" joins two parts of a category or signal phrase, once", phrase);
    while (*second == ' ')
        second++;
    size_t first_len = (size_t)(gap - phrase);
    while (first_len > 0 && phrase[first_len - 1] == ' ')
        first_len--;
    /* the combo: an empty pattern the automaton never holds */
    if (add_single(b, where, "x", 1, p) != 0)
        return -1;
    int32_t combo = b->n - 1;
    b->patterns[combo].len = 0;
    struct pattern part = p;
    part.kind = PK_PART;
    if (add_single(b, where, phrase, first_len, part) != 0)
        return -1;
    b->patterns[combo].part_a = b->n - 1;
    if (add_single(b, where, second, strlen(second), part) != 0)
        return -1;
    b->patterns[combo].part_b = b->n - 1;
    return 0;
}

/* doc[member], a list of phrases; where names it in errors. */
static int add_list(struct builder *b, const json_t *doc, const char *member, const char *where, struct pattern p,
                    bool required)
{
    const json_t *list = json_object_get(doc, member);
    if (list == NULL && !required)
        return 0;
    if (!json_is_array(list) || (required && json_array_size(list) == 0))
        return fail_at(b, where, "%s", required ? "must be a non-empty array of phrases" : "must be an array of phrases");
    size_t i;
    const json_t *item;
    json_array_foreach(list, i, item) {
        if (!json_is_string(item))
            return fail_at(b, where, "%s", "every entry must be a string");
        if (add_pattern(b, where, json_string_value(item), p) != 0)
            return -1;
    }
    return 0;
}

static int language_of(const char *tag)
{
    return eng_enum_parse(ENG_LANGUAGE_TAGS, LANG_COUNT, tag);
}

static const char *const LEXICON_MEMBERS[] = {
    "language", "stopwords", "negation", "scope_end", "reply_headers", "categories", "signals",
};

/* The two groups of a lexicon, described once: categories hold
 * {phrase: weight}, signals [phrase, ...]; each must name every member of
 * its enumeration once. */
struct group {
    const char *member;
    const char *const *names;
    int count;
    enum pattern_kind kind;
    const char *each; /* what the message calls one */
};
static const struct group CATEGORY_GROUP = { "categories", ENG_CATEGORY_NAMES, CAT_COUNT, PK_CATEGORY, "category" };
static const struct group SIGNAL_GROUP = { "signals", ENG_TRIAGE_SIGNAL_NAMES, TRIAGE_SIGNAL_COUNT, PK_SIGNAL, "signal" };

static int load_group(struct builder *b, json_t *doc, const struct group *g, int language)
{
    json_t *group = json_object_get(doc, g->member);
    if (!json_is_object(group) || json_object_size(group) != (size_t)g->count)
        return fail_at(b, g->member, "must name each of the %d %ss once", g->count, g->each);
    const char *key;
    json_t *value;
    char where[96];
    json_object_foreach(group, key, value) {
        int which = eng_enum_parse(g->names, g->count, key);
        snprintf(where, sizeof(where), "%s.%s", g->member, key);
        if (which < 0)
            return fail_at(b, where, "is not a %s", g->each);
        struct pattern p = { .kind = (uint8_t)g->kind, .language = (uint8_t)language, .which = (uint8_t)which };
        if (g->kind == PK_SIGNAL) {
            if (add_list(b, group, key, where, p, true) != 0)
                return -1;
            continue;
        }
        if (!json_is_object(value) || json_object_size(value) == 0)
            return fail_at(b, where, "%s", "must be a non-empty object of phrase: weight");
        const char *phrase;
        json_t *weight;
        json_object_foreach(value, phrase, weight) {
            if (!json_is_integer(weight) || json_integer_value(weight) < 1 || json_integer_value(weight) > WEIGHT_MAX)
                return fail_at(b, where, "\"%s\": the weight must be an integer from 1 to 5", phrase);
            p.weight = (uint8_t)json_integer_value(weight);
            if (add_pattern(b, where, phrase, p) != 0)
                return -1;
        }
    }
    return 0;
}

/* One language's file into the builder: every rule of the format checked. */
static int load_language(struct builder *b, const char *path, const char *text, size_t len)
{
    b->path = path;
    json_error_t error;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &error);
    if (!json_is_object(doc)) {
        json_decref(doc);
        snprintf(b->err, b->err_size, "%s: line %d: %s", path, error.line, error.text);
        return -1;
    }
    int rc = -1;
    const char *key;
    json_t *value;
    json_object_foreach(doc, key, value) {
        bool known = false;
        for (size_t i = 0; i < COUNT(LEXICON_MEMBERS); i++)
            known = known || strcmp(key, LEXICON_MEMBERS[i]) == 0;
        if (!known) {
            fail_at(b, key, "%s", "is not a member of a lexicon");
            goto out;
        }
    }
    int language = language_of(json_string_value(json_object_get(doc, "language")));
    char expected[96];
    if (language >= 0)
        snprintf(expected, sizeof(expected), LEXICON_DIR "%s.json", ENG_LANGUAGE_TAGS[language]);
    if (language < 0 || strcmp(expected, path) != 0) {
        fail_at(b, "language", "%s", "must be the tag the file is named after");
        goto out;
    }
    const json_t *negation = json_object_get(doc, "negation");
    const json_t *window = json_object_get(negation, "window");
    if (!json_is_object(negation) || !json_is_integer(window) || json_integer_value(window) < 0
        || json_integer_value(window) > WINDOW_MAX || json_object_size(negation) > 3) {
        fail_at(b, "negation", "%s", "must be {before: [...], after: [...], window: 0..8}");
        goto out;
    }
    struct pattern p = { .language = (uint8_t)language, .window = (uint8_t)json_integer_value(window) };
    p.kind = PK_NEG_BEFORE;
    if (add_list(b, negation, "before", "negation.before", p, false) != 0)
        goto out;
    p.kind = PK_NEG_AFTER;
    if (add_list(b, negation, "after", "negation.after", p, false) != 0)
        goto out;
    p.kind = PK_SCOPE_END;
    if (add_list(b, doc, "scope_end", "scope_end", p, false) != 0)
        goto out;
    p.kind = PK_STOPWORD;
    if (add_list(b, doc, "stopwords", "stopwords", p, false) != 0)
        goto out;

    const json_t *headers = json_object_get(doc, "reply_headers");
    if (headers != NULL && !json_is_array(headers)) {
        fail_at(b, "reply_headers", "%s", "must be an array of strings");
        goto out;
    }
    size_t i;
    json_array_foreach(headers, i, value) {
        const char *marker = json_string_value(value);
        if (marker == NULL || marker[0] == '\0' || strlen(marker) >= REPLY_HEADER_MAX) {
            fail_at(b, "reply_headers", "%s", "every entry must be a string of 1 to 63 bytes");
            goto out;
        }
        if (b->n_reply_headers == b->cap_reply_headers) {
            size_t cap = b->cap_reply_headers ? b->cap_reply_headers * 2 : 32;
            void *grown = realloc(b->reply_headers, cap * sizeof(*b->reply_headers));
            if (grown == NULL) {
                fail_at(b, "reply_headers", "%s", "out of memory");
                goto out;
            }
            b->reply_headers = grown;
            b->cap_reply_headers = cap;
        }
        char *copy = b->reply_headers[b->n_reply_headers++];
        for (size_t k = 0; marker[k]; k++)
            copy[k] = (char)(marker[k] >= 'A' && marker[k] <= 'Z' ? marker[k] + 32 : marker[k]);
        copy[strlen(marker)] = '\0';
    }

    if (load_group(b, doc, &CATEGORY_GROUP, language) != 0 || load_group(b, doc, &SIGNAL_GROUP, language) != 0)
        goto out;
    rc = 0;
out:
    json_decref(doc);
    return rc;
}

static void builder_free(struct builder *b)
{
    for (int32_t i = 0; i < b->n; i++)
        free(b->texts[i]);
    free(b->texts);
    free(b->patterns);
    free(b->reply_headers);
}

/* The variant table: one Traditional character to one Simplified one,
 * never to a character that is itself mapped. Installs into lex (start
 * only: phrases are normalised through it). */
static int load_variants(const char *text, size_t len, char *err, size_t err_size)
{
    json_error_t error;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &error);
    if (!json_is_object(doc) || json_object_size(doc) == 0) {
        snprintf(err, err_size, VARIANTS_PATH ": must be a non-empty object (line %d: %s)", error.line, error.text);
        json_decref(doc);
        return -1;
    }
    size_t n = json_object_size(doc), i = 0;
    struct variant *table = malloc(n * sizeof(*table));
    uint32_t *targets = malloc(n * sizeof(*targets));
    const char *key;
    json_t *value;
    int rc = -1;
    if (table == NULL || targets == NULL) {
        snprintf(err, err_size, VARIANTS_PATH ": out of memory");
        goto out;
    }
    json_object_foreach(doc, key, value) {
        const char *to = json_string_value(value);
        uint32_t from_cp = 0, to_cp = 0;
        size_t a = eng_utf8_char((const unsigned char *)key, strlen(key), &from_cp);
        size_t b = to ? eng_utf8_char((const unsigned char *)to, strlen(to), &to_cp) : 0;
        if (a == 0 || a != strlen(key) || b == 0 || b != strlen(to) || !is_han(from_cp) || !is_han(to_cp)
            || from_cp == to_cp) {
            snprintf(err, err_size, VARIANTS_PATH ": \"%s\": must map one Han character to another", key);
            goto out;
        }
        table[i] = (struct variant){ from_cp, to_cp };
        targets[i++] = to_cp;
    }
    qsort(table, n, sizeof(*table), variant_cmp);
    qsort(targets, n, sizeof(*targets), u32_cmp);
    for (i = 0; i < n; i++)
        if (variant_of(table, n, table[i].to) != NULL) {
            char target[8] = { 0 };
            json_object_foreach(doc, key, value) {
                uint32_t cp = 0;
                eng_utf8_char((const unsigned char *)key, strlen(key), &cp);
                if (cp == table[i].from)
                    snprintf(target, sizeof(target), "%s", json_string_value(value));
            }
            snprintf(err, err_size, VARIANTS_PATH ": \"%s\" is mapped to and mapped from: chains are not allowed", target);
            goto out;
        }
    uint32_t *han = calloc(HAN_LAST - HAN_FIRST + 1, sizeof(uint32_t));
    if (han == NULL) {
        snprintf(err, err_size, VARIANTS_PATH ": out of memory");
        goto out;
    }
    for (i = 0; i < n; i++) {
        if (table[i].from >= HAN_FIRST && table[i].from <= HAN_LAST)
            han[table[i].from - HAN_FIRST] = HAN_TRADITIONAL | table[i].to;
        if (targets[i] >= HAN_FIRST && targets[i] <= HAN_LAST)
            han[targets[i] - HAN_FIRST] = HAN_SIMPLIFIED;
    }
    free(lex.han);
    free(lex.variants);
    free(lex.simplified);
    lex.han = han;
    lex.variants = table;
    lex.simplified = targets;
    lex.n_variants = n;
    table = NULL;
    targets = NULL;
    rc = 0;
out:
    free(table);
    free(targets);
    json_decref(doc);
    return rc;
}

int eng_triage_check_lexicon(const char *path, const char *text, size_t len, char *err, size_t err_size)
{
    struct builder b = { .err = err, .err_size = err_size };
    int rc = load_language(&b, path, text, len);
    builder_free(&b);
    return rc;
}

/* ---- the automaton ---- */

struct trie {
    int32_t *first_child, *sibling, *out;
    uint8_t *byte;
    int32_t n, cap;
};

static int32_t trie_child(const struct trie *t, int32_t s, uint8_t byte)
{
    for (int32_t c = t->first_child[s]; c >= 0; c = t->sibling[c])
        if (t->byte[c] == byte)
            return c;
    return -1;
}

static int32_t trie_add_state(struct trie *t, int32_t parent, uint8_t byte)
{
    if (t->n == t->cap) {
        int32_t cap = t->cap ? t->cap * 2 : 4096;
        int32_t *fc = realloc(t->first_child, (size_t)cap * sizeof(int32_t));
        if (fc) t->first_child = fc;
        int32_t *sb = realloc(t->sibling, (size_t)cap * sizeof(int32_t));
        if (sb) t->sibling = sb;
        int32_t *o = realloc(t->out, (size_t)cap * sizeof(int32_t));
        if (o) t->out = o;
        uint8_t *by = realloc(t->byte, (size_t)cap);
        if (by) t->byte = by;
        if (!fc || !sb || !o || !by)
            return -1;
        t->cap = cap;
    }
    int32_t s = t->n++;
    t->first_child[s] = -1;
    t->out[s] = -1;
    t->byte[s] = byte;
    t->sibling[s] = -1;
    if (parent >= 0) {
        /* children kept sorted by byte, so the compact edges are too */
        int32_t *link = &t->first_child[parent];
        while (*link >= 0 && t->byte[*link] < byte)
            link = &t->sibling[*link];
        t->sibling[s] = *link;
        *link = s;
    }
    return s;
}

static void trie_free(struct trie *t)
{
    free(t->first_child);
    free(t->sibling);
    free(t->out);
    free(t->byte);
}

static bool same_meaning(const struct pattern *a, const struct pattern *b)
{
    return a->kind == b->kind && a->language == b->language && a->which == b->which
           && a->open_start == b->open_start && a->open_end == b->open_end;
}

static int32_t canonical_part(const struct builder *b, int32_t part)
{
    while (b->patterns[part].same_as >= 0)
        part = b->patterns[part].same_as;
    return part;
}

/* Each combo names its parts by their canonical ids; each part, the
 * combos it ends, in combos_by_b. */
static int index_combos(struct builder *b)
{
    int32_t n_combos = 0;
    for (int32_t p = 0; p < b->n; p++) {
        struct pattern *c = &b->patterns[p];
        b->patterns[p].first_combo = b->patterns[p].n_combos = 0;
        if (c->len == 0 && c->part_a >= 0) {
            c->part_a = canonical_part(b, c->part_a);
            c->part_b = canonical_part(b, c->part_b);
            n_combos++;
        }
    }
    for (int32_t p = 0; p < b->n; p++)
        if (b->patterns[p].len == 0 && b->patterns[p].part_a >= 0)
            b->patterns[b->patterns[p].part_b].n_combos++;
    int32_t at = 0;
    for (int32_t p = 0; p < b->n; p++) {
        b->patterns[p].first_combo = at;
        at += b->patterns[p].n_combos;
        b->patterns[p].n_combos = 0;
    }
    lex.combos_by_b = malloc((size_t)(n_combos > 0 ? n_combos : 1) * sizeof(int32_t));
    if (lex.combos_by_b == NULL)
        return -1;
    for (int32_t p = 0; p < b->n; p++)
        if (b->patterns[p].len == 0 && b->patterns[p].part_a >= 0) {
            struct pattern *part = &b->patterns[b->patterns[p].part_b];
            lex.combos_by_b[part->first_combo + part->n_combos++] = p;
        }
    return 0;
}

static int build_automaton(struct builder *b)
{
    struct trie t = { 0 };
    int32_t *queue = NULL;
    int rc = -1;
    if (trie_add_state(&t, -1, 0) < 0)
        goto oom;
    for (int32_t p = 0; p < b->n; p++) {
        if (b->patterns[p].len == 0)
            continue; /* a combo: its parts are matched */
        const unsigned char *text = (const unsigned char *)b->texts[p];
        int32_t s = 0;
        for (size_t i = 0; i < b->patterns[p].len; i++) {
            int32_t c = trie_child(&t, s, text[i]);
            if (c < 0 && (c = trie_add_state(&t, s, text[i])) < 0)
                goto oom;
            s = c;
        }
        /* The same phrase twice once normalised ("sólo" and "solo"), or
         * in two languages of a family (zh-Hans and zh-Hant above all), is
         * one phrase: it counts once, at the larger weight and window.
         * Stop words stay per language: they tell languages apart. */
        bool merged = false;
        for (int32_t q = t.out[s]; q >= 0 && !merged; q = b->patterns[q].next) {
            struct pattern *other = &b->patterns[q], *mine = &b->patterns[p];
            /* a part's text is one part, whatever combos and languages use it */
            if (mine->kind == PK_PART && other->kind == PK_PART && mine->open_start == other->open_start
                && mine->open_end == other->open_end) {
                mine->same_as = q;
                merged = true;
                continue;
            }
            if ((mine->kind == PK_STOPWORD && other->language != mine->language) || mine->kind == PK_PART)
                continue;
            struct pattern as_other = *mine;
            as_other.language = other->language;
            if (family_of(other->language) == family_of(mine->language) && same_meaning(other, &as_other)) {
                other->languages |= mine->languages;
                other->weight = other->weight > mine->weight ? other->weight : mine->weight;
                other->window = other->window > mine->window ? other->window : mine->window;
                merged = true;
            }
        }
        if (merged) {
            b->patterns[p].kind = PK_MERGED;
            continue;
        }
        b->patterns[p].next = t.out[s];
        t.out[s] = p;
    }
    if (index_combos(b) != 0)
        goto oom;
    int32_t n = t.n;
    lex.states = calloc((size_t)n, sizeof(*lex.states));
    lex.edge_byte = malloc((size_t)n);
    lex.edge_to = malloc((size_t)n * sizeof(int32_t));
    queue = malloc((size_t)n * sizeof(int32_t));
    if (!lex.states || !lex.edge_byte || !lex.edge_to || !queue)
        goto oom;
    for (int32_t i = 0; i < n; i++)
        lex.states[i].out = t.out[i];
    /* compact edges in breadth-first order, fail links as we go */
    int32_t head = 0, tail = 0, edges = 0;
    for (int i = 0; i < 256; i++)
        lex.root_next[i] = 0;
    queue[tail++] = 0;
    lex.states[0].dict = -1;
    while (head < tail) {
        int32_t s = queue[head++];
        lex.states[s].first_edge = edges;
        for (int32_t c = t.first_child[s]; c >= 0; c = t.sibling[c]) {
            uint8_t byte = t.byte[c];
            lex.edge_byte[edges] = byte;
            lex.edge_to[edges++] = c;
            lex.states[s].n_edges++;
            if (s == 0) {
                lex.root_next[byte] = c;
                lex.states[c].fail = 0;
            } else {
                int32_t f = lex.states[s].fail, next;
                while ((next = trie_child(&t, f, byte)) < 0 && f != 0)
                    f = lex.states[f].fail;
                lex.states[c].fail = next >= 0 ? next : 0;
            }
            int32_t f = lex.states[c].fail;
            lex.states[c].dict = lex.states[f].out >= 0 ? f : lex.states[f].dict;
            queue[tail++] = c;
        }
    }
    /* full rows for the shallow states, in breadth-first order: a
     * state's fail state is shallower, so its row is already there */
    uint8_t *depth = calloc((size_t)n, 1);
    int32_t n_rows = 0;
    if (!depth) {
        free(depth);
        goto oom;
    }
    for (int32_t i = 0; i < n; i++) {
        int32_t st = queue[i];
        lex.states[st].row = -1;
        lex.states[st].emits = lex.states[st].out >= 0 || lex.states[st].dict >= 0;
        /* breadth-first: the dict state is shallower, already done */
        int32_t d = lex.states[st].dict;
        lex.states[st].emits_in_word = d >= 0 && lex.states[d].emits_in_word;
        for (int32_t q = lex.states[st].out; q >= 0; q = b->patterns[q].next)
            lex.states[st].emits_in_word = lex.states[st].emits_in_word || !b->patterns[q].word_end;
        if (lex.states[st].n_edges == 1) {
            lex.states[st].only_byte = lex.edge_byte[lex.states[st].first_edge];
            lex.states[st].only_to = lex.edge_to[lex.states[st].first_edge];
        }
        for (int e = 0; e < lex.states[st].n_edges; e++)
            depth[lex.edge_to[lex.states[st].first_edge + e]] = (uint8_t)(depth[st] + 1);
        n_rows += depth[st] <= ROW_DEPTH;
    }
    lex.rows = malloc((size_t)n_rows * 256 * sizeof(int32_t));
    if (!lex.rows) {
        free(depth);
        goto oom;
    }
    int32_t r = 0;
    for (int32_t i = 0; i < n; i++) {
        int32_t st = queue[i];
        if (depth[st] > ROW_DEPTH)
            break; /* breadth-first: the rest are deeper */
        int32_t *row = lex.rows + (size_t)r * 256;
        if (st == 0)
            memcpy(row, lex.root_next, sizeof(lex.root_next));
        else
            memcpy(row, lex.rows + (size_t)lex.states[lex.states[st].fail].row * 256, 256 * sizeof(int32_t));
        for (int e = 0; e < lex.states[st].n_edges; e++)
            row[lex.edge_byte[lex.states[st].first_edge + e]] = lex.edge_to[lex.states[st].first_edge + e];
        lex.states[st].row = r++;
    }
    free(depth);
    lex.n_states = n;
    rc = 0;
    goto out;
oom:
    snprintf(b->err, b->err_size, LEXICON_DIR ": out of memory building the matcher");
out:
    free(queue);
    trie_free(&t);
    return rc;
}

static void lexicon_free(void)
{
    free(lex.patterns);
    free(lex.states);
    free(lex.edge_byte);
    free(lex.edge_to);
    free(lex.rows);
    free(lex.combos_by_b);
    free(lex.reply_headers);
    free(lex.han);
    free(lex.variants);
    free(lex.simplified);
    memset(&lex, 0, sizeof(lex));
}

int eng_triage_init(char *err, size_t err_size)
{
    if (lex.ready)
        return 0;
    const struct embedded_file *variants = embedded_find(VARIANTS_PATH);
    if (variants == NULL) {
        snprintf(err, err_size, VARIANTS_PATH ": missing");
        return -1;
    }
    if (load_variants(variants->data, variants->size, err, err_size) != 0) {
        lexicon_free();
        return -1;
    }
    struct builder b = { .err = err, .err_size = err_size };
    int rc = -1;
    for (int l = 0; l < LANG_COUNT; l++) {
        char path[96];
        snprintf(path, sizeof(path), LEXICON_DIR "%s.json", ENG_LANGUAGE_TAGS[l]);
        const struct embedded_file *file = embedded_find(path);
        if (file == NULL) {
            snprintf(err, err_size, "%s: missing: every reply language needs a lexicon", path);
            goto out;
        }
        if (load_language(&b, path, file->data, file->size) != 0)
            goto out;
    }
    if (build_automaton(&b) != 0)
        goto out;
    lex.patterns = b.patterns;
    lex.n_patterns = b.n;
    lex.reply_headers = b.reply_headers;
    lex.n_reply_headers = b.n_reply_headers;
    b.patterns = NULL;
    b.reply_headers = NULL;
    lex.ready = true;
    rc = 0;
out:
    builder_free(&b);
    if (rc != 0)
        lexicon_free();
    return rc;
}

/* ---- reading a message ---- */

struct hit {
    int32_t pattern;
    uint16_t start, end; /* normalised bytes [start, end) */
    /* "A ... B": the words between the parts, [gap, gap_end), are not the
     * combo's own; a plain phrase has none (gap = gap_end = end) */
    uint16_t gap, gap_end;
};

/* Whether h lies in o's own words (its parts, never the gap between). */
static bool inside(const struct hit *h, const struct hit *o)
{
    return o->start <= h->start && h->end <= o->end && (h->end <= o->gap || h->start >= o->gap_end);
}

struct scan {
    struct norm n;
    int n_hits, n_parts, n_cues, n_scope_ends;
    int stopwords[LANG_COUNT];
    uint8_t *consumed;          /* per cue: 1 << kind of a longer phrase it lies inside */
    /* what a pass records; only [0, n_...) is ever read, so the arrays
     * are not cleared (SCAN_CLEARED: what is) */
    struct hit hits[HITS_MAX];
    struct hit parts[PARTS_MAX]; /* parts of "A ... B" phrases, in end order */
    struct hit cues[CUES_MAX];  /* negation cues, both kinds, in end order */
    struct hit scope_ends[CUES_MAX]; /* scope_end words, in end order */
    int phrases[HITS_MAX];      /* decide_category's scratch */
    struct hit parts_sorted[PARTS_MAX]; /* join_parts' scratch */
};
#define SCAN_CLEARED offsetof(struct scan, hits)

static bool word_byte(const struct norm *n, size_t i)
{
    unsigned char c = (unsigned char)n->text[i];
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c >= 0x80 && !(n->flags[i] & BF_CJK));
}

/* Latin phrases match whole words, unless open at that end. */
static bool at_boundaries(const struct norm *n, const struct pattern *p, size_t start, size_t end)
{
    if (!p->open_start && word_byte(n, start) && start > 0 && word_byte(n, start - 1))
        return false;
    if (!p->open_end && word_byte(n, end - 1) && end < n->len && word_byte(n, end))
        return false;
    return true;
}

static void record(struct scan *s, int32_t id, size_t end)
{
    const struct pattern *p = &lex.patterns[id];
    size_t start = end - p->len;
    if (!at_boundaries(&s->n, p, start, end))
        return;
    struct hit h = { id, (uint16_t)start, (uint16_t)end, (uint16_t)end, (uint16_t)end };
    switch ((enum pattern_kind)p->kind) {
    case PK_STOPWORD:
        s->stopwords[p->language]++;
        break;
    case PK_NEG_BEFORE:
    case PK_NEG_AFTER:
        if (s->n_cues < CUES_MAX)
            s->cues[s->n_cues++] = h;
        break;
    case PK_SCOPE_END:
        if (s->n_scope_ends < CUES_MAX)
            s->scope_ends[s->n_scope_ends++] = h;
        break;
    case PK_MERGED:
        break;
    case PK_PART:
        if (s->n_parts < PARTS_MAX)
            s->parts[s->n_parts++] = h;
        break;
    case PK_CATEGORY:
    case PK_SIGNAL:
        if (s->n_hits < HITS_MAX)
            s->hits[s->n_hits++] = h;
        break;
    }
}

static int32_t move(int32_t state, uint8_t byte)
{
    for (;;) {
        if (lex.states[state].row >= 0)
            return lex.rows[(size_t)lex.states[state].row * 256 + byte];
        const struct ac_state *st = &lex.states[state];
        if (st->n_edges == 1) {
            if (st->only_byte == byte)
                return st->only_to;
            state = st->fail;
            continue;
        }
        const uint8_t *bytes = lex.edge_byte + lex.states[state].first_edge;
        int count = lex.states[state].n_edges;
        for (int i = 0; i < count && bytes[i] <= byte; i++)
            if (bytes[i] == byte)
                return lex.edge_to[lex.states[state].first_edge + i];
        state = lex.states[state].fail;
    }
}

static void match_all(struct scan *s)
{
    int32_t state = 0;
    const unsigned char *text = (const unsigned char *)s->n.text;
    for (size_t i = 0; i < s->n.len; i++) {
        state = move(state, text[i]);
        if (!lex.states[state].emits)
            continue;
        /* inside a Latin word only open phrases and CJK ones can end:
         * "in" in "nothing" is no word of its own */
        unsigned char after = i + 1 < s->n.len ? text[i + 1] : ' ';
        bool in_word = (after >= 'a' && after <= 'z') || (after >= '0' && after <= '9')
                       || (after >= 0x80 && !(s->n.flags[i + 1] & BF_CJK));
        if (in_word && !lex.states[state].emits_in_word)
            continue;
        for (int32_t at = lex.states[state].out >= 0 ? state : lex.states[state].dict; at >= 0; at = lex.states[at].dict)
            for (int32_t p = lex.states[at].out; p >= 0; p = lex.patterns[p].next)
                record(s, p, i + 1);
    }
}

/* The first of hits[0..n) (in end order) that ends after byte `end`. */
static int first_ending_after(const struct hit *hits, int n, size_t end)
{
    int lo = 0, hi = n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (hits[mid].end <= end)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* A clause ends, or a scope_end word of the cue's language starts, after
 * byte a and before b (a < b). Scope ends are in end order, and one that
 * starts before b ends before b + PHRASE_MAX. */
static bool scope_ends_between(const struct scan *s, size_t a, size_t b, uint8_t languages)
{
    if (s->n.clause[a] != s->n.clause[b])
        return true;
    for (int i = first_ending_after(s->scope_ends, s->n_scope_ends, a); i < s->n_scope_ends && s->scope_ends[i].end < b + PHRASE_MAX; i++) {
        const struct hit *e = &s->scope_ends[i];
        /* a language's words limit its own cues ("ma" is Italian "but"
         * and French "my"); a cue several languages share ("no"), each */
        if (e->start > a && e->start < b && (lex.patterns[e->pattern].languages & languages))
            return true;
    }
    return false;
}


/* Only the cues within reach are looked at: backwards while a cue ends
 * within WINDOW_MAX tokens before the phrase, forwards while one could
 * start within WINDOW_MAX tokens after it; so a text full of cues costs
 * each phrase a bounded number of steps. */
/* A hazard is read fail-safe: quoted, it still counts, and only a cue
 * right before it ("no smoke", "never caught fire") negates it, so "I
 * can't believe it caught fire" still goes to a person. */
static bool fail_safe(const struct pattern *p)
{
    return p->kind == PK_SIGNAL && p->which == TRIAGE_MENTIONS_SAFETY_HAZARD;
}

static bool negated(const struct scan *s, const struct hit *h)
{
    const struct norm *n = &s->n;
    uint8_t languages = lex.patterns[h->pattern].languages; /* a cue negates its own languages' phrases */
    int reach = fail_safe(&lex.patterns[h->pattern]) ? 0 : WINDOW_MAX;
    uint8_t kind_bit = 0xFF; /* a cue inside any longer phrase, see consume_cues */
    int at = first_ending_after(s->cues, s->n_cues, h->start);
    for (int i = at - 1; i >= 0; i--) {
        const struct hit *c = &s->cues[i];
        int between = (int)n->token[h->start] - (int)n->token[c->end - 1] - 1;
        if (between > WINDOW_MAX)
            break;
        const struct pattern *cue = &lex.patterns[c->pattern];
        if (!(s->consumed[i] & kind_bit) && cue->kind == PK_NEG_BEFORE && between <= cue->window && between <= reach
            && (cue->languages & languages) && !scope_ends_between(s, c->end - 1, h->start, cue->languages))
            return true;
    }
    for (int i = first_ending_after(s->cues, s->n_cues, h->end - 1); i < s->n_cues; i++) {
        const struct hit *c = &s->cues[i];
        if ((int)n->token[c->end - 1] - (int)n->token[h->end - 1] > WINDOW_MAX + TOKENS_PER_PHRASE_MAX)
            break;
        const struct pattern *cue = &lex.patterns[c->pattern];
        if ((s->consumed[i] & kind_bit) || cue->kind != PK_NEG_AFTER || c->start < h->end
            || !(cue->languages & languages))
            continue;
        int between = (int)n->token[c->start] - (int)n->token[h->end - 1] - 1;
        if (between <= cue->window && between <= reach && !scope_ends_between(s, h->end - 1, c->start, cue->languages))
            return true;
    }
    return false;
}

static struct eng_text_span span_of(const struct norm *n, const struct hit *h)
{
    size_t from = n->orig[h->start], to = (size_t)n->orig[h->end - 1] + n->orig_len[h->end - 1];
    return (struct eng_text_span){ (uint16_t)from, (uint16_t)(to - from) };
}

static void detect_language(const struct scan *s, struct eng_triage *out)
{
    const struct norm *n = &s->n;
    int cjk = n->kana + n->han;
    if (cjk > 0 && cjk * 3 >= n->latin) {
        out->language_known = true;
        if (n->kana * 10 >= cjk)
            out->language = LANG_JA;
        else
            out->language = n->traditional > n->simplified ? LANG_ZH_HANT : LANG_ZH_HANS;
        return;
    }
    int best = -1, best_score = 0;
    for (int l = 0; l < LANG_COUNT; l++) {
        if (l == LANG_ZH_HANS || l == LANG_ZH_HANT || l == LANG_JA)
            continue;
        int score = s->stopwords[l] + n->hints[l];
        if (score > best_score) {
            best = l;
            best_score = score;
        }
    }
    if (best >= 0) {
        out->language_known = true;
        out->language = (enum eng_language)best;
    }
}

/* Hits to cues that lie inside them: "not" in "not working" negates
 * nothing else. */

/* A cue inside a longer phrase is that phrase's word and negates nothing
 * else: "not" in "not working", "no" in "still no refund" (the buyer
 * wants the refund). consumed[] records the kinds of the phrases it lies
 * in; negated() treats any as consuming, which the tuning sets bear out
 * (a category phrase that holds the cue speaks for the whole clause). A
 * hit that contains a cue ends at or after the cue's end and at most
 * PHRASE_MAX bytes after its start: only those are looked at. */
static void consume_cues(struct scan *s)
{
    for (int i = 0; i < s->n_cues; i++) {
        const struct hit *c = &s->cues[i];
        for (int k = first_ending_after(s->hits, s->n_hits, c->end - 1u);
             k < s->n_hits && s->hits[k].end <= c->start + PHRASE_MAX; k++)
            if (inside(c, &s->hits[k]) && s->hits[k].end - s->hits[k].start > c->end - c->start)
                s->consumed[i] |= (uint8_t)(1u << lex.patterns[s->hits[k].pattern].kind);
    }
}

static int int_cmp(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static void decide_category(struct scan *s, const bool *counts, struct eng_triage *out)
{
    /* each phrase once, however often it repeats: the counted phrases,
     * sorted, without repeats */
    int *phrases = s->phrases, n_phrases = 0;
    for (int k = 0; k < s->n_hits; k++)
        if (counts[k] && lex.patterns[s->hits[k].pattern].kind == PK_CATEGORY)
            phrases[n_phrases++] = s->hits[k].pattern;
    qsort(phrases, (size_t)n_phrases, sizeof(int), int_cmp);
    int score[CAT_COUNT] = { 0 };
    for (int k = 0; k < n_phrases; k++)
        if (k == 0 || phrases[k] != phrases[k - 1])
            score[lex.patterns[phrases[k]].which] += lex.patterns[phrases[k]].weight;
    /* No words for any category: the question it most likely is, for a
     * person to confirm. */
    int best = CAT_USAGE_QUESTION, second = 0;
    for (int c = 0; c < CAT_COUNT; c++)
        if (score[c] > score[best] || (score[c] == score[best] && c < best && score[c] > 0))
            best = c;
    for (int c = 0; c < CAT_COUNT; c++)
        if (c != best && score[c] > second)
            second = score[c];
    out->category = (enum eng_category)best;
    long thousandths = score[best] > 0 ? (long)(1000.0 * score[best] / (score[best] + second + 1) + 0.5) : 0;
    out->confidence = (double)thousandths / 1000.0;
    out->uncertain = out->confidence < ENG_TRIAGE_CONFIDENCE_MIN;

    /* What decided it: the category's counted phrases in text order, no
     * two overlapping. */
    for (;;) {
        int pick = -1;
        for (int k = 0; k < s->n_hits; k++) {
            const struct pattern *p = &lex.patterns[s->hits[k].pattern];
            if (p->kind != PK_CATEGORY || p->which != best || !counts[k])
                continue;
            bool overlaps = false;
            for (int m = 0; m < out->n_matched && !overlaps; m++) {
                const struct eng_text_span *sp = &out->matched[m];
                struct eng_text_span here = span_of(&s->n, &s->hits[k]);
                overlaps = here.offset < sp->offset + sp->length && sp->offset < here.offset + here.length;
            }
            if (!overlaps && (pick < 0 || s->hits[k].start < s->hits[pick].start))
                pick = k;
        }
        if (pick < 0 || out->n_matched == ENG_TRIAGE_MATCHED_MAX)
            break;
        out->matched[out->n_matched++] = span_of(&s->n, &s->hits[pick]);
    }
    /* in text order */
    for (int i = 1; i < out->n_matched; i++)
        for (int k = i; k > 0 && out->matched[k].offset < out->matched[k - 1].offset; k--) {
            struct eng_text_span t = out->matched[k];
            out->matched[k] = out->matched[k - 1];
            out->matched[k - 1] = t;
        }
}

static int hit_end_cmp(const void *a, const void *b)
{
    const struct hit *x = a, *y = b;
    if (x->end != y->end)
        return (x->end > y->end) - (x->end < y->end);
    return (x->start < y->start) - (x->start > y->start); /* the longer first at one end */
}

/* Parts by pattern, then by end: where a combo looks for its first part. */
static int part_cmp(const void *a, const void *b)
{
    const struct hit *x = a, *y = b;
    if (x->pattern != y->pattern)
        return (x->pattern > y->pattern) - (x->pattern < y->pattern);
    return (x->end > y->end) - (x->end < y->end);
}

/* "A ... B": for each part found, each combo it ends looks for the last
 * A of its own that ends before it, within COMBO_GAP tokens; found, the
 * combo is a hit spanning both, put in its place among the hits (they
 * stay in end order). One sorted copy of the parts serves every search. */
static void join_parts(struct scan *s)
{
    const struct norm *n = &s->n;
    struct hit *sorted = s->parts_sorted;
    memcpy(sorted, s->parts, (size_t)s->n_parts * sizeof(*sorted));
    qsort(sorted, (size_t)s->n_parts, sizeof(*sorted), part_cmp);
    for (int k = 0; k < s->n_parts; k++) {
        const struct hit *second = &s->parts[k];
        const struct pattern *bp = &lex.patterns[second->pattern];
        for (int32_t i = 0; i < bp->n_combos && s->n_hits < HITS_MAX; i++) {
            int32_t combo = lex.combos_by_b[bp->first_combo + i];
            int32_t part_a = lex.patterns[combo].part_a;
            int lo = 0, hi = s->n_parts;
            while (lo < hi) {
                int mid = (lo + hi) / 2;
                if (sorted[mid].pattern < part_a || (sorted[mid].pattern == part_a && sorted[mid].end <= second->start))
                    lo = mid + 1;
                else
                    hi = mid;
            }
            if (lo == 0 || sorted[lo - 1].pattern != part_a)
                continue;
            const struct hit *first = &sorted[lo - 1];
            if ((int)n->token[second->start] - (int)n->token[first->end - 1] - 1 > COMBO_GAP)
                continue;
            struct hit joined = { combo, first->start, second->end, first->end, second->start };
            int at = s->n_hits++;
            while (at > 0 && hit_end_cmp(&s->hits[at - 1], &joined) > 0) {
                s->hits[at] = s->hits[at - 1];
                at--;
            }
            s->hits[at] = joined;
        }
    }
}

/* Which phrases count in this message: Chinese phrases in Chinese
 * messages and Japanese ones in Japanese messages; in a message of a
 * Latin language, its own phrases and English ones (the marketplaces'
 * lingua franca), not another language's false friends (Italian "storno"
 * is a chargeback, German "Storno" a cancellation); in a CJK message,
 * every Latin phrase ("refund", "A-to-z" and "PayPal" inside Chinese text
 * are what they say); CJK phrases in a Latin message. All of them when the
 * language is not known. */
static bool counts_in(const struct eng_triage *t, const struct hit *h)
{
    const struct pattern *p = &lex.patterns[h->pattern];
    if (!t->language_known)
        return true;
    enum family message = family_of(t->language), phrase = family_of(p->language);
    if (phrase != FAMILY_LATIN)
        return phrase == message || message == FAMILY_LATIN;
    if (message != FAMILY_LATIN)
        return true;
    return (p->languages & (language_bit(t->language) | language_bit(LANG_EN))) != 0;
}

/* The longest match wins: a phrase inside a longer phrase of the same
 * kind, that counts in this message, says nothing of its own ("broken" in
 * "arrived broken", 退货 in 已经退货), whether or not the longer one is
 * negated (then neither counts). Hits are in end order, so a longer one
 * containing k ends at most PHRASE_MAX bytes after it. */
static void drop_contained(const struct scan *s, const bool *eligible, bool *kept)
{
    for (int k = 0; k < s->n_hits; k++) {
        kept[k] = eligible[k];
        if (!eligible[k])
            continue;
        const struct hit *h = &s->hits[k];
        uint8_t kind = lex.patterns[h->pattern].kind;
        int lo = k;
        while (lo > 0 && s->hits[lo - 1].end == h->end)
            lo--;
        for (int j = lo; j < s->n_hits && s->hits[j].end <= h->start + PHRASE_MAX; j++) {
            const struct hit *o = &s->hits[j];
            if (j != k && eligible[j] && lex.patterns[o->pattern].kind == kind && inside(h, o)
                && o->end - o->start > h->end - h->start) {
                kept[k] = false;
                break;
            }
        }
    }
}

int eng_triage(const char *text, size_t len, struct eng_triage *out)
{
    memset(out, 0, sizeof(*out));
    if (!lex.ready)
        return -1;
    if (len > ENG_TRIAGE_TEXT_MAX)
        len = ENG_TRIAGE_TEXT_MAX;
    /* A character can grow by a separating space at a change of script
     * and ß to "ss": never more than twice its bytes, plus the breaks. */
    size_t cap = 2 * len + 16;
    struct scan *s = malloc(sizeof(*s));
    if (s != NULL)
        memset(s, 0, SCAN_CLEARED);
    char *block = malloc(cap * (2 + 2 + 2 + 1 + 1 + 1) + CUES_MAX + 2 * HITS_MAX);
    if (s == NULL || block == NULL) {
        free(s);
        free(block);
        return -1;
    }
    /* carve: 2-byte arrays first, for their alignment */
    s->n.orig = (uint16_t *)(void *)block;
    s->n.token = s->n.orig + cap;
    s->n.clause = s->n.token + cap;
    s->n.text = (char *)(s->n.clause + cap);
    s->n.orig_len = (uint8_t *)s->n.text + cap;
    s->n.flags = s->n.orig_len + cap;
    s->consumed = s->n.flags + cap;
    memset(s->consumed, 0, CUES_MAX);
    bool *counts = (bool *)(s->consumed + CUES_MAX);
    s->n.cap = cap;

    normalise_message(&s->n, text, len);
    match_all(s);
    join_parts(s);
    consume_cues(s);
    detect_language(s, out);
    bool *eligible = counts + HITS_MAX;
    for (int k = 0; k < s->n_hits; k++)
        eligible[k] = (!(s->n.flags[s->hits[k].start] & BF_QUOTED) || fail_safe(&lex.patterns[s->hits[k].pattern]))
                      && counts_in(out, &s->hits[k]);
    drop_contained(s, eligible, counts);
    for (int k = 0; k < s->n_hits; k++)
        counts[k] = counts[k] && !negated(s, &s->hits[k]);
    decide_category(s, counts, out);
    for (int k = 0; k < s->n_hits; k++) {
        const struct pattern *p = &lex.patterns[s->hits[k].pattern];
        if (p->kind != PK_SIGNAL || !counts[k])
            continue;
        unsigned bit = ENG_TRIAGE_SIGNAL_BIT(p->which);
        struct eng_text_span here = span_of(&s->n, &s->hits[k]);
        if (!(out->signals & bit) || here.offset < out->signal_matched[p->which].offset) {
            out->signals |= bit;
            out->signal_matched[p->which] = here;
        }
    }
    out->read = true;
    free(block);
    free(s);
    return 0;
}
