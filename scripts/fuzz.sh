#!/bin/sh
# Runs libFuzzer harnesses (built by `make fuzz-build`) one after another:
# for each, replay its regressions (tests/fuzz/regressions/NAME: inputs that
# once crashed it), then fuzz for SECONDS from the seed corpora (made from
# the test data by scripts/fuzz-seeds.sh, plus tests/fuzz/corpus/NAME if
# present) with the dictionary of scripts/fuzz-dict.sh, into a working
# corpus under DIR/corpus/NAME that persists between runs. Fails if any
# harness crashes, leaks, times out or runs out of memory; the input is
# kept under DIR/artifacts/NAME and the log under DIR/logs/NAME.log.
# Extra libFuzzer flags: FUZZ_FLAGS.
# Usage: scripts/fuzz.sh DIR SECONDS NAME...
set -eu
dir=${1:?usage: scripts/fuzz.sh DIR SECONDS NAME...}
seconds=${2:?usage: scripts/fuzz.sh DIR SECONDS NAME...}
shift 2
root=$(cd "$(dirname "$0")/.." && pwd)

# The dictionary and the seeds follow the tables and the test data as
# they are now.
mkdir -p "$dir"
"$root/scripts/fuzz-dict.sh" > "$dir/redress.dict"
"$root/scripts/fuzz-seeds.sh" "$dir/seeds"
mkdir -p "$dir/logs"

failed=""
for name in "$@"; do
    bin="$dir/$name"
    log="$dir/logs/$name.log"
    regressions="$root/tests/fuzz/regressions/$name"
    mkdir -p "$dir/corpus/$name" "$dir/artifacts/$name"
    : > "$log"
    # Replay: one run per reproducer, each must pass.
    if [ -d "$regressions" ] && [ -n "$(ls -A "$regressions")" ]; then
        if ! "$bin" -rss_limit_mb=2048 -timeout=10 "$regressions"/* >> "$log" 2>&1; then
            echo "$name: a regression input fails again (tests/fuzz/regressions/$name); see $log" >&2
            tail -n 40 "$log" >&2
            failed="$failed $name"
            continue
        fi
        replayed="$(ls "$regressions" | wc -l) regressions replayed, "
    else
        replayed=""
    fi
    corpora="$dir/corpus/$name"
    [ -d "$dir/seeds/$name" ] && corpora="$corpora $dir/seeds/$name"
    [ -d "$root/tests/fuzz/corpus/$name" ] && corpora="$corpora $root/tests/fuzz/corpus/$name"
    # shellcheck disable=SC2086
    if "$bin" -max_total_time="$seconds" -dict="$dir/redress.dict" -max_len=4096 \
        -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 -artifact_prefix="$dir/artifacts/$name/" \
        ${FUZZ_FLAGS:-} $corpora >> "$log" 2>&1; then
        # The last status line: "#N DONE cov: C ft: F corp: N/S ... exec/s: E"
        status=$(grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED)' "$log" | tail -n 1)
        echo "$name: ${replayed}ok for ${seconds}s: $status"
    else
        echo "$name: FAILED (input kept in $dir/artifacts/$name/, log $log)" >&2
        grep -E 'ERROR|SUMMARY|invariant|runtime error|Test unit written' "$log" | head -n 20 >&2
        failed="$failed $name"
    fi
done
if [ -n "$failed" ]; then
    echo "fuzzing found problems in:$failed" >&2
    exit 1
fi
