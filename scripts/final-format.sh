#!/usr/bin/env bash
# The one formatting pass of the codebase (issue 15), run once by whoever lands last, on an
# up-to-date checkout of main with nobody else editing:
#
#   bash scripts/final-format.sh            # format, apply the linter's safe fixes, check, test
#   bash scripts/final-format.sh --commit   # the same, then commit and wire the checks into .ci/run
#
# It formats only code (the file set of biome.json: src/, test/*.ts, bin/, scripts/, bench/);
# golden files, fixtures, results, notebooks and JSON data are never touched. It stops at
# the first step that fails and says what to do; nothing is committed unless every step passes.
set -euo pipefail
cd "$(dirname "$0")/.."
commit=false
[[ "${1:-}" == "--commit" ]] && commit=true

biome=node_modules/.bin/biome
[[ -x $biome ]] || { echo "final-format: run npm ci first (no $biome)" >&2; exit 2; }
if [[ -n "$(git status --porcelain --untracked-files=no)" ]]; then
  echo "final-format: the work tree has uncommitted changes; commit or stash them first" >&2
  exit 2
fi

echo "== 1/5 format (biome format --write)"
$biome format --write .

echo "== 2/5 the linter's safe fixes (biome lint --write; unsafe fixes are left to a person)"
$biome lint --write . || true

echo "== 3/5 format check and lint, as CI will run them"
npm run --silent format:check
if ! npm run --silent lint; then
  cat >&2 <<'EOF'
final-format: lint findings remain (listed above). Each is a rule of biome.json's
recommended set that has no safe automatic fix; fix them by hand (or, for a deliberate
exception, add a `// biome-ignore lint/<group>/<rule>: <why>` comment on the line), then
run this script again.
EOF
  exit 1
fi

echo "== 4/5 build and test (formatting must not change behaviour or any golden file)"
npm run build
npm test
if [[ -n "$(git status --porcelain -- test/golden data)" ]]; then
  echo "final-format: golden or data files changed; the formatter must not touch them" >&2
  git status --short -- test/golden data >&2
  exit 1
fi

echo "== 5/5 .ci/run runs the format check and the linter (and TypeDoc's check if it passes now)"
if ! grep -q "npm run format:check" .ci/run; then
  cat >>.ci/run <<'EOF'
# Formatting and lint (biome.json; one pass formatted the code base: scripts/final-format.sh).
npm run format:check
npm run lint
EOF
fi
if ! grep -q "npm run docs:check" .ci/run; then
  if npm run --silent docs:check; then
    cat >>.ci/run <<'EOF'
# Every export documented (TypeDoc's notDocumented validation, typedoc.json).
npm run docs:check
EOF
  else
    echo "final-format: TypeDoc's check still fails (listed above): not added to .ci/run" >&2
  fi
fi

if $commit; then
  git add -A -- src test bin scripts bench .ci/run
  git commit -q -m "Format the code base with Biome (scripts/final-format.sh); CI runs the format check and the linter"
  echo "final-format: committed $(git rev-parse --short HEAD); land it on main as usual"
else
  git diff --stat | tail -1
  echo "final-format: done; review with git diff, then commit (or rerun with --commit)"
fi
