using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Diagnostics;

namespace KillSafe.Analyze;

/// <summary>KillSafe's analyzers and code fixes, found in their assemblies the way a host finds them (by their export attributes).</summary>
internal sealed class RuleSet
{
    private RuleSet(ImmutableArray<DiagnosticAnalyzer> analyzers, ImmutableArray<CodeFixProvider> fixers, IReadOnlySet<string> enabled)
    {
        Analyzers = analyzers;
        Fixers = fixers;
        Enabled = enabled;
        Descriptors = analyzers.SelectMany(a => a.SupportedDiagnostics).GroupBy(d => d.Id).Select(g => g.First()).OrderBy(d => d.Id, StringComparer.Ordinal).ToList();
    }

    /// <summary>Every rule KillSafe has, by id.</summary>
    public static IReadOnlyList<DiagnosticDescriptor> AllDescriptors => Load(null).Descriptors;

    public ImmutableArray<DiagnosticAnalyzer> Analyzers { get; }

    public ImmutableArray<CodeFixProvider> Fixers { get; }

    /// <summary>The rules asked for (null: every rule enabled by default or by configuration).</summary>
    public IReadOnlySet<string> Enabled { get; }

    /// <summary>The descriptors of the analyzers that run.</summary>
    public IReadOnlyList<DiagnosticDescriptor> Descriptors { get; }

    /// <summary>The rules named in <paramref name="only"/> (all when null).</summary>
    public static RuleSet Load(IReadOnlySet<string>? only)
    {
        var analyzerAssembly = typeof(KillSafe.Analyzers.Rules.StaleUnixSocketFileAnalyzer).Assembly;
        var fixAssembly = typeof(KillSafe.CodeFixes.DeleteStaleSocketFileCodeFix).Assembly;
        var analyzers = Instances<DiagnosticAnalyzer>(analyzerAssembly, t => t.GetCustomAttributes<DiagnosticAnalyzerAttribute>().Any(a => a.Languages.Contains(LanguageNames.CSharp)))
            .Where(a => only is null || a.SupportedDiagnostics.Any(d => only.Contains(d.Id)))
            .ToImmutableArray();
        var fixers = Instances<CodeFixProvider>(fixAssembly, t => t.GetCustomAttributes<ExportCodeFixProviderAttribute>().Any())
            .Where(f => only is null || f.FixableDiagnosticIds.Any(only.Contains))
            .ToImmutableArray();
        var ids = analyzers.SelectMany(a => a.SupportedDiagnostics).Select(d => d.Id).Where(id => only is null || only.Contains(id));
        return new RuleSet(analyzers, fixers, new HashSet<string>(ids, StringComparer.Ordinal));
    }

    private static IEnumerable<T> Instances<T>(Assembly assembly, Func<Type, bool> exported) =>
        assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(T).IsAssignableFrom(t) && exported(t) && t.GetConstructor(Type.EmptyTypes) is not null)
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .Select(t => (T)Activator.CreateInstance(t)!);
}
