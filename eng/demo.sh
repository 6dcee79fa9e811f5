#!/usr/bin/env bash
# Packs the KillSafe.Analyzers package and builds the samples against it, the way a user's project
# consumes it: the build prints KillSafe's warnings (KS1001 and KS1002 for SharedStateWorker, KS2001 for
# StaleSocketService, KS3002 for TcpEchoService, KS4001, KS4004 and KS5002 for NightlyJob; suggestions such
# as KS3003, KS5001 and KS5003 are shown in the IDE rather than in the build).
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf artifacts/packages artifacts/sample-packages samples/*/obj samples/*/bin
dotnet pack src/KillSafe.Analyzers.Package -c Release -o artifacts/packages -v quiet -nologo
status=0
for sample in samples/*/*.csproj; do
  echo "== $sample"
  output=$(dotnet build "$sample" -c Release -nologo -v quiet -clp:NoSummary) || {
    # A sample that does not build: show the build's own errors, not a guess about the package.
    echo "$output" | grep -E ' error ' | sort -u >&2
    echo "$sample did not build" >&2
    status=1
    continue
  }
  echo "$output" | grep -E 'warning KS|error KS' | sort -u || {
    echo "no KillSafe diagnostics were reported for $sample: something is wrong with the package" >&2
    status=1
  }
done
exit $status
