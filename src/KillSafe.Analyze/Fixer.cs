using System.Collections.Immutable;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Text;

namespace KillSafe.Analyze;

/// <summary>A document the fixes changed.</summary>
internal sealed record FixedDocument(string Path, SourceText Before, SourceText After);

/// <summary>What applying the fixes gave: the changed documents, and the compile errors the fixes would add.</summary>
internal sealed record FixResult(IReadOnlyList<FixedDocument> Documents, int Fixed, IReadOnlyList<string> NewErrors);

/// <summary>
/// Applies KillSafe's code fixes the way the IDE's "Fix all occurrences in document" does: for each document,
/// rule and fix, the fix's own Fix All provider with the first registered action's equivalence key; then
/// compiles the fixed solution to check the fixes add no compile error.
/// </summary>
internal static class Fixer
{
    public static async Task<FixResult> FixAsync(Solution solution, RuleSet rules, ExecutableMode executables, IReadOnlySet<string>? requested, Action<string> progress, CancellationToken cancellationToken)
    {
        var original = solution;
        int fixedCount = 0;
        foreach (var projectId in solution.ProjectIds)
        {
            var project = solution.GetProject(projectId)!;
            if (project.Language != LanguageNames.CSharp)
                continue;
            var diagnostics = await Analysis.DiagnosticsAsync(project, rules, executables, requested, cancellationToken).ConfigureAwait(false);
            foreach (var byDocument in diagnostics.GroupBy(d => d.Location.SourceTree!.FilePath))
            {
                foreach (var byRule in byDocument.GroupBy(d => d.Id))
                {
                    foreach (var fixer in rules.Fixers.Where(f => f.FixableDiagnosticIds.Contains(byRule.Key)))
                    {
                        var current = solution.GetProject(projectId)!;
                        var document = current.Documents.FirstOrDefault(d => d.FilePath == byDocument.Key);
                        if (document is null)
                            continue;
                        // Diagnostics move with every fix: find this rule's again in the current document.
                        var now = (await Analysis.DiagnosticsAsync(current, rules, executables, requested, cancellationToken).ConfigureAwait(false))
                            .Where(d => d.Id == byRule.Key && d.Location.SourceTree?.FilePath == document.FilePath).ToImmutableArray();
                        if (now.IsEmpty)
                            continue;
                        var changed = await FixAllInDocumentAsync(document, fixer, now, rules, executables, requested, cancellationToken).ConfigureAwait(false);
                        if (changed is null)
                            continue;
                        solution = changed;
                        fixedCount += now.Length;
                        progress($"fixed {now.Length} {byRule.Key} in {Path.GetFileName(document.FilePath)}");
                    }
                }
            }
        }

        var documents = new List<FixedDocument>();
        foreach (var change in solution.GetChanges(original).GetProjectChanges())
        {
            foreach (var id in change.GetChangedDocuments())
            {
                var before = await original.GetDocument(id)!.GetTextAsync(cancellationToken).ConfigureAwait(false);
                var after = await solution.GetDocument(id)!.GetTextAsync(cancellationToken).ConfigureAwait(false);
                documents.Add(new FixedDocument(solution.GetDocument(id)!.FilePath!, before, after));
            }
        }

        return new FixResult(documents, fixedCount, await NewErrorsAsync(original, solution, cancellationToken).ConfigureAwait(false));
    }

    private static async Task<Solution?> FixAllInDocumentAsync(Document document, CodeFixProvider fixer, ImmutableArray<Diagnostic> diagnostics, RuleSet rules, ExecutableMode executables, IReadOnlySet<string>? requested, CancellationToken cancellationToken)
    {
        var actions = new List<CodeAction>();
        var context = new CodeFixContext(document, diagnostics[0], (action, _) => actions.Add(action), cancellationToken);
        await fixer.RegisterCodeFixesAsync(context).ConfigureAwait(false);
        var first = actions.SelectMany(Leaves).FirstOrDefault();
        if (first is null)
            return null;
        CodeAction? action = first;
        if (fixer.GetFixAllProvider() is { } fixAll)
        {
            var provider = new Diagnostics(rules, executables, requested);
            var fixAllContext = new FixAllContext(document, fixer, FixAllScope.Document, first.EquivalenceKey, new[] { diagnostics[0].Id }, provider, cancellationToken);
            action = await fixAll.GetFixAsync(fixAllContext).ConfigureAwait(false) ?? first;
        }

        foreach (var operation in await action.GetOperationsAsync(cancellationToken).ConfigureAwait(false))
        {
            if (operation is ApplyChangesOperation apply)
                return apply.ChangedSolution;
        }

        return null;

        static IEnumerable<CodeAction> Leaves(CodeAction action) => action.NestedActions.IsDefaultOrEmpty ? new[] { action } : action.NestedActions.SelectMany(Leaves);
    }

    // The compile errors of the fixed solution that the original did not have (by id and message, per project).
    private static async Task<IReadOnlyList<string>> NewErrorsAsync(Solution original, Solution fixedSolution, CancellationToken cancellationToken)
    {
        var added = new List<string>();
        foreach (var change in fixedSolution.GetChanges(original).GetProjectChanges())
        {
            var before = await Errors(original.GetProject(change.ProjectId)!).ConfigureAwait(false);
            foreach (var error in await Errors(fixedSolution.GetProject(change.ProjectId)!).ConfigureAwait(false))
            {
                int had = before.TryGetValue(error.Key, out var old) ? old.Count : 0;
                if (had < error.Value.Count)
                    added.AddRange(error.Value.Skip(had));
            }
        }

        return added;

        async Task<Dictionary<string, List<string>>> Errors(Project project)
        {
            var compilation = await project.GetCompilationAsync(cancellationToken).ConfigureAwait(false);
            return (compilation?.GetDiagnostics(cancellationToken) ?? ImmutableArray<Diagnostic>.Empty)
                .Where(d => d.Severity == DiagnosticSeverity.Error)
                .GroupBy(d => d.Id + ": " + d.GetMessage(System.Globalization.CultureInfo.InvariantCulture))
                .ToDictionary(g => g.Key, g => g.Select(d => d.ToString()).ToList());
        }
    }

    /// <summary>A unified diff of one fixed document (context of three lines), paths as given.</summary>
    public static string UnifiedDiff(FixedDocument document, string displayPath)
    {
        var before = document.Before.Lines.Select(l => l.ToString()).ToList();
        var after = document.After.Lines.Select(l => l.ToString()).ToList();
        int prefix = 0;
        while (prefix < before.Count && prefix < after.Count && before[prefix] == after[prefix])
            prefix++;
        int suffix = 0;
        while (suffix < before.Count - prefix && suffix < after.Count - prefix && before[before.Count - 1 - suffix] == after[after.Count - 1 - suffix])
            suffix++;
        var removed = before.Skip(prefix).Take(before.Count - prefix - suffix).ToList();
        var inserted = after.Skip(prefix).Take(after.Count - prefix - suffix).ToList();
        var edits = Lcs(removed, inserted);
        const int context = 3;
        int start = Math.Max(0, prefix - context);
        int endBefore = Math.Min(before.Count, before.Count - suffix + context);
        int endAfter = Math.Min(after.Count, after.Count - suffix + context);
        var text = new StringBuilder();
        text.Append("--- a/").Append(displayPath).Append('\n').Append("+++ b/").Append(displayPath).Append('\n');
        text.Append(System.Globalization.CultureInfo.InvariantCulture, $"@@ -{start + 1},{endBefore - start} +{start + 1},{endAfter - start} @@\n");
        for (int i = start; i < prefix; i++)
            text.Append(' ').Append(before[i]).Append('\n');
        foreach (var (kind, line) in edits)
            text.Append(kind).Append(line).Append('\n');
        for (int i = before.Count - suffix; i < endBefore; i++)
            text.Append(' ').Append(before[i]).Append('\n');
        return text.ToString();
    }

    // The changed middle of a document is small: a plain longest-common-subsequence walk is enough.
    private static List<(char Kind, string Line)> Lcs(List<string> a, List<string> b)
    {
        var table = new int[a.Count + 1, b.Count + 1];
        for (int i = a.Count - 1; i >= 0; i--)
        {
            for (int j = b.Count - 1; j >= 0; j--)
                table[i, j] = a[i] == b[j] ? table[i + 1, j + 1] + 1 : Math.Max(table[i + 1, j], table[i, j + 1]);
        }

        var result = new List<(char, string)>();
        int x = 0, y = 0;
        while (x < a.Count || y < b.Count)
        {
            if (x < a.Count && y < b.Count && a[x] == b[y])
            {
                result.Add((' ', a[x]));
                x++;
                y++;
            }
            else if (y < b.Count && (x == a.Count || table[x, y + 1] >= table[x + 1, y]))
            {
                result.Add(('+', b[y++]));
            }
            else
            {
                result.Add(('-', a[x++]));
            }
        }

        return result;
    }

    /// <summary>The diagnostics a Fix All asks for: KillSafe's own, computed on the document as it is now.</summary>
    private sealed class Diagnostics(RuleSet rules, ExecutableMode executables, IReadOnlySet<string>? requested) : FixAllContext.DiagnosticProvider
    {
        public override async Task<IEnumerable<Diagnostic>> GetDocumentDiagnosticsAsync(Document document, CancellationToken cancellationToken) =>
            (await Analysis.DiagnosticsAsync(document.Project, rules, executables, requested, cancellationToken).ConfigureAwait(false))
                .Where(d => d.Location.SourceTree?.FilePath == document.FilePath);

        public override async Task<IEnumerable<Diagnostic>> GetProjectDiagnosticsAsync(Project project, CancellationToken cancellationToken) =>
            (await Analysis.DiagnosticsAsync(project, rules, executables, requested, cancellationToken).ConfigureAwait(false)).Where(d => !d.Location.IsInSource);

        public override async Task<IEnumerable<Diagnostic>> GetAllDiagnosticsAsync(Project project, CancellationToken cancellationToken) =>
            await Analysis.DiagnosticsAsync(project, rules, executables, requested, cancellationToken).ConfigureAwait(false);
    }
}
