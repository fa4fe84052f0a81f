#!/usr/bin/env bash
# Runs every fuzz target of this package for the given time each (default 3s).
#
# A failing input is always written to testdata/fuzz/<target>/ and fails
# the run at once. Go's fuzzing engine can also stop with an error and no
# failing input when its deadline falls while a worker is busy on a loaded
# machine (golang/go#51484, #56238); such a run is tried once more.
set -uo pipefail
cd "$(dirname "$0")"
fuzztime=${1:-3s}
targets=$(go test -list '^Fuzz' . | grep '^Fuzz') || { echo "fuzz: cannot list the targets"; exit 1; }
for t in $targets; do
	for try in 1 2; do
		out=$(go test . -run '^$' -fuzz "^$t\$" -fuzztime "$fuzztime" 2>&1) && { echo "fuzz $t: ok ($fuzztime)"; break; }
		if grep -q 'Failing input written to' <<<"$out" || [ "$try" -eq 2 ]; then
			echo "fuzz $t failed:"
			echo "$out"
			exit 1
		fi
		echo "fuzz $t: the fuzzing engine stopped without a failing input; once more. It said:"
		tail -n 4 <<<"$out" | sed 's/^/  /'
	done
done
