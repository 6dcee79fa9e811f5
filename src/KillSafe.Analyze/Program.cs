using System.Diagnostics;
using System.Text;
using KillSafe.Analyze.Loading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace KillSafe.Analyze;

/// <summary>
/// killsafe analyze: KillSafe's rules over any code base without editing it. Exit codes: 0 nothing at or above
/// the severity, 1 findings (or an analyzer crashed, or fixes would not compile), 2 bad input or a solution
/// that cannot be loaded: one line on stderr, never a stack trace.
/// </summary>
public static class Program
{
    public const int Clean = 0, Findings = 1, Usage = 2;

    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            (args.Length == 0 ? Console.Error : Console.Out).Write(AnalyzeOptions.Usage);
            return args.Length == 0 ? Usage : Clean;
        }

        AnalyzeOptions options;
        try
        {
            options = AnalyzeOptions.Parse(args);
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine("killsafe analyze: " + e.Message);
            return Usage;
        }

        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        try
        {
            return await RunAsync(options, cancel.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("killsafe analyze: cancelled");
            return Usage;
        }
    }

    private static void Progress(string message) => Console.Error.WriteLine("killsafe analyze: " + message);

    internal static async Task<int> RunAsync(AnalyzeOptions options, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var rules = RuleSet.Load(options.Rules);
        var litter = options.IsFolder ? null : BuildHostLitter.Note();
        LoadedSolution loaded;
        try
        {
            loaded = options.IsFolder
                ? FolderLoader.Load(options.Path, options.Defines, Progress)
                : await SolutionLoader.LoadAsync(options.Path, Progress, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            litter?.Remove();
            Console.Error.WriteLine($"killsafe analyze: cannot load {options.Path}: {e.Message.Split('\n')[0]}");
            return Usage;
        }

        try
        {
            var solution = options.IsFolder ? loaded.Solution : WithDefines(loaded.Solution, options.Defines);
            var projects = solution.Projects.Where(p => p.Language == LanguageNames.CSharp).ToList();
            if (projects.Count == 0)
            {
                Console.Error.WriteLine($"killsafe analyze: no C# project in {options.Path}" + (loaded.Warnings.Count > 0 ? ": " + loaded.Warnings[0] : string.Empty));
                return Usage;
            }

            var results = new List<ProjectResult>();
            for (int i = 0; i < projects.Count; i++)
            {
                Progress($"analyzing {i + 1}/{projects.Count}: {projects[i].Name} ({projects[i].Documents.Count()} files)");
                results.Add(await Analysis.RunAsync(projects[i], rules, options.Executables, options.Rules, cancellationToken).ConfigureAwait(false));
            }

            // A multi-targeted project loads once per target: a finding is the same finding in each.
            var findings = results.SelectMany(r => r.Findings)
                .Where(f => f.Severity >= options.MinimumSeverity)
                .DistinctBy(f => (f.RuleId, f.Path, f.Line, f.Column, f.Message))
                .OrderBy(f => f.Path, StringComparer.Ordinal).ThenBy(f => f.Line).ThenBy(f => f.Column)
                .ToList();
            var run = new AnalysisRun(options.Path, loaded.Approximate, results, findings, loaded.Warnings, clock.Elapsed, rules);
            var report = Reports.Write(options.Format, run);
            if (options.Output is { } output)
            {
                File.WriteAllText(output, report);
                Progress($"{findings.Count} finding(s); report written to {output}");
            }
            else
            {
                Console.Out.Write(report);
            }

            int exit = findings.Count > 0 || results.Any(r => r.Failures.Count > 0) ? Findings : Clean;
            if (options.Fix)
                exit = Math.Max(exit, await FixAsync(solution, rules, options, cancellationToken).ConfigureAwait(false));
            return exit;
        }
        finally
        {
            loaded.Workspace.Dispose();
            if (litter?.Remove() is > 0 and var removed)
                Progress($"removed {removed} stale socket file(s) the MSBuild build host left in /tmp");
        }
    }

    private static async Task<int> FixAsync(Solution solution, RuleSet rules, AnalyzeOptions options, CancellationToken cancellationToken)
    {
        var result = await Fixer.FixAsync(solution, rules, options.Executables, options.Rules, Progress, cancellationToken).ConfigureAwait(false);
        var output = options.Output is null ? Console.Out : Console.Error;
        foreach (var document in result.Documents.OrderBy(d => d.Path, StringComparer.Ordinal))
            output.Write(Fixer.UnifiedDiff(document, Reports.Display(document.Path)));
        if (result.NewErrors.Count > 0)
        {
            Console.Error.WriteLine($"killsafe analyze: the fixes would not compile ({result.NewErrors.Count} new error(s)); nothing was written. First: {result.NewErrors[0]}");
            return Findings;
        }

        Progress($"{result.Fixed} finding(s) fixed in {result.Documents.Count} file(s); the fixed code compiles with no new error");
        if (!options.Apply)
        {
            Progress("dry run: nothing was written; add --apply to write the fixed files");
            return Clean;
        }

        foreach (var document in result.Documents)
            File.WriteAllText(document.Path, document.After.ToString(), document.Before.Encoding ?? new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        Progress($"wrote {result.Documents.Count} file(s)");
        return Clean;
    }

    // --define in solution mode: the symbols join the ones each project defines.
    private static Solution WithDefines(Solution solution, IReadOnlyList<string> defines)
    {
        if (defines.Count == 0)
            return solution;
        foreach (var project in solution.Projects.Where(p => p.ParseOptions is CSharpParseOptions).ToList())
        {
            var parse = (CSharpParseOptions)project.ParseOptions!;
            solution = solution.WithProjectParseOptions(project.Id, parse.WithPreprocessorSymbols(parse.PreprocessorSymbolNames.Concat(defines).Distinct(StringComparer.Ordinal)));
        }

        return solution;
    }
}
