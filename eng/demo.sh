#!/usr/bin/env bash
# Packs the KillSafe.Analyzers package and builds samples/StaleSocketService against it, the way a
# user's project consumes it: the build prints KillSafe's KS2001 warning for the sample's bind.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf artifacts/packages artifacts/sample-packages samples/StaleSocketService/obj samples/StaleSocketService/bin
dotnet pack src/KillSafe.Analyzers.Package -c Release -o artifacts/packages -v quiet -nologo
dotnet build samples/StaleSocketService -c Release -nologo -v quiet -clp:NoSummary | grep -E 'warning KS|error KS' || {
  echo "no KillSafe diagnostics were reported: something is wrong with the package" >&2
  exit 1
}
