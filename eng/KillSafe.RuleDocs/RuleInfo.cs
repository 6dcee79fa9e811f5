using System.Reflection;
using KillSafe.Analyzers.Rules;
using KillSafe.CodeFixes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Diagnostics;

namespace KillSafe.RuleDocs;

/// <summary>What the built analyzers and code fixes say about one rule: the descriptor, the analyzer that reports it, its fixes.</summary>
/// <param name="Descriptor">The rule's descriptor, the one source of its title, category and severity.</param>
/// <param name="AnalyzerName">The analyzer class that reports it (the release-tracking notes name it).</param>
/// <param name="HasCodeFix">A code fix provider offers a fix for it.</param>
/// <param name="FixAll">That provider also fixes all occurrences at once.</param>
public sealed record RuleInfo(DiagnosticDescriptor Descriptor, string AnalyzerName, bool HasCodeFix, bool FixAll)
{
    /// <summary>The rule's ID.</summary>
    public string Id => Descriptor.Id;

    /// <summary>Reported at compilation end (the rule needs the whole program).</summary>
    public bool CompilationEnd => Descriptor.CustomTags.Contains(WellKnownDiagnosticTags.CompilationEnd);

    /// <summary>Every rule of the analyzer assembly, ordered by ID.</summary>
    public static IReadOnlyList<RuleInfo> All { get; } = Load();

    private static List<RuleInfo> Load()
    {
        var fixes = Instances<CodeFixProvider>(typeof(DeleteStaleSocketFileCodeFix).Assembly);
        return Instances<DiagnosticAnalyzer>(typeof(StaleUnixSocketFileAnalyzer).Assembly)
            .SelectMany(analyzer => analyzer.SupportedDiagnostics.Select(d => (Analyzer: analyzer, Descriptor: d)))
            .Select(pair =>
            {
                var fix = fixes.FirstOrDefault(f => f.FixableDiagnosticIds.Contains(pair.Descriptor.Id));
                return new RuleInfo(pair.Descriptor, pair.Analyzer.GetType().Name, fix is not null, fix?.GetFixAllProvider() is not null);
            })
            .OrderBy(rule => rule.Id, StringComparer.Ordinal)
            .ToList();
    }

    private static List<T> Instances<T>(Assembly assembly) where T : class =>
        assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(T).IsAssignableFrom(t))
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .Select(t => (T)Activator.CreateInstance(t)!)
            .ToList();
}
