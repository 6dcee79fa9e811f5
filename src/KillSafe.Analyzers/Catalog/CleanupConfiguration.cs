using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace KillSafe.Analyzers.Catalog;

/// <summary>
/// The user's own cleanup helpers, declared in a .globalconfig so that a wrapper such as
/// <c>MyCo.Ipc.RemoveSegment(int id)</c> counts as <c>IPC_RMID</c> (docs/configuration.md):
/// <code>
/// killsafe.cleanup_methods = M:MyCo.Ipc.RemoveSegment(System.Int32), M:MyCo.Files.DeleteSocket(System.String)
/// killsafe.KS1001.cleanup_methods = M:MyCo.Ipc.Drop(System.Int32)
/// </code>
/// Values are documentation-comment IDs separated by commas (a semicolon starts a comment in config files). The first key applies to every
/// rule, the second to one rule. A call to a listed method removes whatever its arguments and receiver name.
/// Read once per compilation, from the global options.
/// </summary>
internal static class CleanupConfiguration
{
    public const string AllRulesKey = "killsafe.cleanup_methods";

    public static string RuleKey(string ruleId) => "killsafe." + ruleId + ".cleanup_methods";

    public static ImmutableHashSet<string> Read(AnalyzerOptions options, string ruleId)
    {
        var global = options.AnalyzerConfigOptionsProvider.GlobalOptions;
        var ids = ImmutableHashSet.CreateBuilder<string>(StringComparer.Ordinal);
        foreach (var key in new[] { AllRulesKey, RuleKey(ruleId) })
        {
            if (!global.TryGetValue(key, out var value))
                continue;
            foreach (var id in value.Split(new[] { ',', ';' }, StringSplitOptions.RemoveEmptyEntries).Select(v => v.Trim()).Where(v => v.Length > 0))
                ids.Add(id);
        }

        return ids.ToImmutable();
    }

    /// <summary>True when <paramref name="method"/> is one of the configured cleanup helpers.</summary>
    public static bool IsCleanup(IMethodSymbol method, ImmutableHashSet<string> configured) =>
        !configured.IsEmpty && method.OriginalDefinition.GetDocumentationCommentId() is { } id && configured.Contains(id);
}
