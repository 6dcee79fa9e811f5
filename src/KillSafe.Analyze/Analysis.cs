using System.Collections.Concurrent;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace KillSafe.Analyze;

/// <summary>One finding, with its place in the source.</summary>
internal sealed record Finding(string RuleId, DiagnosticSeverity Severity, string Path, int Line, int Column, int EndLine, int EndColumn, string Message, string? HelpUri, string Project);

/// <summary>An analyzer that threw (reported as AD0001 by hosts): a KillSafe bug, never swallowed.</summary>
internal sealed record AnalyzerFailure(string Analyzer, string Project, string Exception);

/// <summary>What one project gave.</summary>
internal sealed record ProjectResult(string Name, string? FilePath, int Files, int Lines, int CompileErrors, bool Executable, IReadOnlyList<Finding> Findings, IReadOnlyList<AnalyzerFailure> Failures, IReadOnlyDictionary<string, int> CompileErrorIds);

/// <summary>How executables are told from libraries (KS4001 and KS5001 judge whole programs only).</summary>
internal enum ExecutableMode
{
    /// <summary>As the project says (folder mode: its OutputType).</summary>
    Auto,

    /// <summary>Every project is judged as an executable.</summary>
    All,

    /// <summary>Every project is judged as a library.</summary>
    None,
}

/// <summary>Runs KillSafe's analyzers over a project's compilation, as the compiler would on build.</summary>
internal static class Analysis
{
    /// <summary>The project's compilation as analyzed: the output kind overridden by <paramref name="executables"/>, rules asked for by name enabled.</summary>
    public static async Task<Compilation?> CompilationAsync(Project project, RuleSet rules, ExecutableMode executables, IReadOnlySet<string>? requested, CancellationToken cancellationToken)
    {
        var compilation = await project.GetCompilationAsync(cancellationToken).ConfigureAwait(false);
        if (compilation is null)
            return null;
        var options = compilation.Options;
        if (executables != ExecutableMode.Auto)
            options = options.WithOutputKind(executables == ExecutableMode.All ? OutputKind.ConsoleApplication : OutputKind.DynamicallyLinkedLibrary);
        if (requested is not null)
        {
            // A rule named on the command line runs even when it is off by default (KS3004).
            var specific = options.SpecificDiagnosticOptions;
            foreach (var descriptor in rules.Descriptors.Where(d => requested.Contains(d.Id) && !d.IsEnabledByDefault && !specific.ContainsKey(d.Id)))
                specific = specific.SetItem(descriptor.Id, ReportDiagnostic.Warn);
            options = options.WithSpecificDiagnosticOptions(specific);
        }

        return compilation.WithOptions(options);
    }

    public static async Task<ProjectResult> RunAsync(Project project, RuleSet rules, ExecutableMode executables, IReadOnlySet<string>? requested, CancellationToken cancellationToken)
    {
        var compilation = await CompilationAsync(project, rules, executables, requested, cancellationToken).ConfigureAwait(false);
        var files = project.Documents.Count(d => d.SourceCodeKind == SourceCodeKind.Regular);
        if (compilation is null)
            return new ProjectResult(project.Name, project.FilePath, files, 0, 0, false, Array.Empty<Finding>(), Array.Empty<AnalyzerFailure>(), new Dictionary<string, int>());

        var failures = new ConcurrentBag<AnalyzerFailure>();
        var options = new CompilationWithAnalyzersOptions(
            project.AnalyzerOptions,
            (exception, analyzer, _) => failures.Add(new AnalyzerFailure(analyzer.GetType().Name, project.Name, exception.ToString())),
            concurrentAnalysis: true,
            logAnalyzerExecutionTime: false);
        var withAnalyzers = compilation.WithAnalyzers(rules.Analyzers, options);
        // One pass binds each body once for the compiler's diagnostics and the analyzers'.
        var all = await withAnalyzers.GetAllDiagnosticsAsync(cancellationToken).ConfigureAwait(false);
        var errors = all.Where(d => d.Severity == DiagnosticSeverity.Error && !d.Id.StartsWith("KS", StringComparison.Ordinal)).ToList();
        var findings = all
            .Where(d => rules.Enabled.Contains(d.Id) && d.Location.IsInSource && d.Severity != DiagnosticSeverity.Hidden)
            .Select(d => ToFinding(d, project.Name))
            .Distinct()
            .OrderBy(f => f.Path, StringComparer.Ordinal).ThenBy(f => f.Line).ThenBy(f => f.Column).ThenBy(f => f.RuleId, StringComparer.Ordinal)
            .ToList();
        int lines = 0;
        foreach (var tree in compilation.SyntaxTrees)
            lines += (await tree.GetTextAsync(cancellationToken).ConfigureAwait(false)).Lines.Count;
        return new ProjectResult(project.Name, project.FilePath, files, lines, errors.Count, compilation.Options.OutputKind is OutputKind.ConsoleApplication or OutputKind.WindowsApplication, findings, failures.ToList(),
            errors.GroupBy(e => e.Id).OrderByDescending(g => g.Count()).Take(5).ToDictionary(g => g.Key, g => g.Count()));
    }

    private static Finding ToFinding(Diagnostic diagnostic, string project)
    {
        var span = diagnostic.Location.GetLineSpan();
        return new Finding(diagnostic.Id, diagnostic.Severity, span.Path, span.StartLinePosition.Line + 1, span.StartLinePosition.Character + 1, span.EndLinePosition.Line + 1, span.EndLinePosition.Character + 1,
            diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture), diagnostic.Descriptor.HelpLinkUri is { Length: > 0 } help ? help : null, project);
    }

    /// <summary>KillSafe's diagnostics of <paramref name="project"/> (for the fixes), as <see cref="RunAsync"/> finds them.</summary>
    public static async Task<ImmutableArray<Diagnostic>> DiagnosticsAsync(Project project, RuleSet rules, ExecutableMode executables, IReadOnlySet<string>? requested, CancellationToken cancellationToken)
    {
        var compilation = await CompilationAsync(project, rules, executables, requested, cancellationToken).ConfigureAwait(false);
        if (compilation is null)
            return ImmutableArray<Diagnostic>.Empty;
        var diagnostics = await compilation.WithAnalyzers(rules.Analyzers, project.AnalyzerOptions).GetAnalyzerDiagnosticsAsync(cancellationToken).ConfigureAwait(false);
        return diagnostics.Where(d => rules.Enabled.Contains(d.Id) && d.Location.IsInSource).ToImmutableArray();
    }
}
