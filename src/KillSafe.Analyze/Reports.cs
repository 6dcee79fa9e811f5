using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using KillSafe.Shared;
using Microsoft.CodeAnalysis;

namespace KillSafe.Analyze;

/// <summary>Everything one analysis found, for the reports.</summary>
internal sealed record AnalysisRun(string Path, bool Approximate, IReadOnlyList<ProjectResult> Projects, IReadOnlyList<Finding> Findings, IReadOnlyList<string> LoadWarnings, TimeSpan Elapsed, RuleSet Rules);

/// <summary>The report formats: text (compiler-style lines and a summary), GitHub annotations, JSON, SARIF 2.1.</summary>
internal static class Reports
{
    public static string Write(string format, AnalysisRun run) => format switch
    {
        "sarif" => Sarif(run),
        "json" => Json(run),
        "github" => GitHub(run),
        _ => Text(run),
    };

    public static string Level(DiagnosticSeverity severity) => severity switch
    {
        DiagnosticSeverity.Error => "error",
        DiagnosticSeverity.Warning => "warning",
        DiagnosticSeverity.Info => "note",
        _ => "none",
    };

    private static string Severity(DiagnosticSeverity severity) => severity switch
    {
        DiagnosticSeverity.Error => "error",
        DiagnosticSeverity.Warning => "warning",
        DiagnosticSeverity.Info => "info",
        _ => "hidden",
    };

    /// <summary>A path as a person reads it: relative to the working directory when under it.</summary>
    public static string Display(string path)
    {
        var current = Directory.GetCurrentDirectory().TrimEnd('/') + "/";
        return path.StartsWith(current, StringComparison.Ordinal) ? path[current.Length..] : path;
    }

    private static string Text(AnalysisRun run)
    {
        var text = new StringBuilder();
        foreach (var f in run.Findings)
            text.Append(CultureInfo.InvariantCulture, $"{Display(f.Path)}:{f.Line}:{f.Column}: {Severity(f.Severity)} {f.RuleId}: {f.Message}\n");
        foreach (var failure in run.Projects.SelectMany(p => p.Failures))
            text.Append(CultureInfo.InvariantCulture, $"error AD0001: analyzer {failure.Analyzer} threw in {failure.Project}: {failure.Exception.Split('\n')[0]}\n");
        if (run.Findings.Count > 0)
            text.Append('\n');
        foreach (var rule in run.Findings.GroupBy(f => f.RuleId).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var title = run.Rules.Descriptors.FirstOrDefault(d => d.Id == rule.Key)?.Title.ToString(CultureInfo.InvariantCulture) ?? string.Empty;
            text.Append(CultureInfo.InvariantCulture, $"{rule.Key}  {rule.Count(),5}  {title}\n");
        }

        int files = run.Projects.Sum(p => p.Files), lines = run.Projects.Sum(p => p.Lines), errors = run.Projects.Sum(p => p.CompileErrors);
        var bySeverity = string.Join(", ", run.Findings.GroupBy(f => f.Severity).OrderByDescending(g => g.Key).Select(g => $"{g.Count()} {Severity(g.Key)}"));
        text.Append(CultureInfo.InvariantCulture, $"{run.Findings.Count} finding(s){(bySeverity.Length > 0 ? " (" + bySeverity + ")" : string.Empty)} in {run.Projects.Count} project(s), {files:N0} files, {lines:N0} lines; {run.Elapsed.TotalSeconds:0.0} s\n");
        if (run.Approximate)
            text.Append(CultureInfo.InvariantCulture, $"approximate: folder mode, compiled against the SDK's reference packs without a restore; {errors:N0} compile error(s) (unresolved references lower what the rules can see)\n");
        else if (errors > 0)
            text.Append(CultureInfo.InvariantCulture, $"{errors:N0} compile error(s): restore the solution (dotnet restore) for a full analysis\n");
        // MSBuild reports every restore warning as a load failure: show a few, count the rest.
        foreach (var warning in run.LoadWarnings.Distinct().Take(3))
            text.Append("load: ").Append(warning).Append('\n');
        if (run.LoadWarnings.Distinct().Count() > 3)
            text.Append(CultureInfo.InvariantCulture, $"load: ({run.LoadWarnings.Distinct().Count() - 3} more messages from MSBuild)\n");
        return text.ToString();
    }

    private static string GitHub(AnalysisRun run)
    {
        var text = new StringBuilder();
        foreach (var f in run.Findings)
            text.Append(GitHubAnnotations.Line(Level(f.Severity), Display(f.Path), f.Line, f.Column, f.RuleId, f.Message, f.EndLine, f.EndColumn)).Append('\n');
        foreach (var failure in run.Projects.SelectMany(p => p.Failures))
            text.Append(GitHubAnnotations.Line("error", run.Path, 1, 1, "AD0001", $"analyzer {failure.Analyzer} threw in {failure.Project}: {failure.Exception.Split('\n')[0]}")).Append('\n');
        return text.ToString();
    }

    private static string Json(AnalysisRun run)
    {
        var document = new JsonObject
        {
            ["schemaVersion"] = 1,
            ["path"] = run.Path,
            ["mode"] = run.Approximate ? "folder" : "msbuild",
            ["approximate"] = run.Approximate,
            ["elapsedMilliseconds"] = (long)run.Elapsed.TotalMilliseconds,
            ["projects"] = new JsonArray(run.Projects.Select(p => (JsonNode)new JsonObject
            {
                ["name"] = p.Name,
                ["path"] = p.FilePath,
                ["files"] = p.Files,
                ["lines"] = p.Lines,
                ["compileErrors"] = p.CompileErrors,
                ["compileErrorIds"] = new JsonObject(p.CompileErrorIds.Select(e => KeyValuePair.Create(e.Key, (JsonNode?)e.Value))),
                ["executable"] = p.Executable,
            }).ToArray()),
            ["findings"] = new JsonArray(run.Findings.Select(f => (JsonNode)new JsonObject
            {
                ["ruleId"] = f.RuleId,
                ["severity"] = Severity(f.Severity),
                ["path"] = f.Path,
                ["line"] = f.Line,
                ["column"] = f.Column,
                ["endLine"] = f.EndLine,
                ["endColumn"] = f.EndColumn,
                ["message"] = f.Message,
                ["helpUri"] = f.HelpUri,
                ["project"] = f.Project,
            }).ToArray()),
            ["analyzerFailures"] = new JsonArray(run.Projects.SelectMany(p => p.Failures).Select(a => (JsonNode)new JsonObject { ["analyzer"] = a.Analyzer, ["project"] = a.Project, ["exception"] = a.Exception }).ToArray()),
            ["summary"] = new JsonObject(run.Findings.GroupBy(f => f.RuleId).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => KeyValuePair.Create(g.Key, (JsonNode?)g.Count()))),
            ["loadWarnings"] = new JsonArray(run.LoadWarnings.Select(w => (JsonNode)w).ToArray()),
        };
        return document.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    private static string Sarif(AnalysisRun run)
    {
        var rules = run.Rules.Descriptors.ToList();
        var index = rules.Select((d, i) => (d.Id, i)).ToDictionary(x => x.Id, x => x.i);
        var sarifRules = new JsonArray(rules.Select(d => (JsonNode)new JsonObject
        {
            ["id"] = d.Id,
            ["name"] = new string(d.Title.ToString(CultureInfo.InvariantCulture).Where(char.IsLetterOrDigit).ToArray()),
            ["shortDescription"] = new JsonObject { ["text"] = d.Title.ToString(CultureInfo.InvariantCulture) },
            ["fullDescription"] = new JsonObject { ["text"] = d.Description.ToString(CultureInfo.InvariantCulture) },
            ["helpUri"] = d.HelpLinkUri,
            ["defaultConfiguration"] = new JsonObject { ["level"] = Level(d.DefaultSeverity), ["enabled"] = d.IsEnabledByDefault },
            ["properties"] = new JsonObject { ["category"] = d.Category, ["tags"] = new JsonArray(d.CustomTags.Select(t => (JsonNode)t).ToArray()) },
        }).ToArray());
        var results = new JsonArray(run.Findings.Select(f => (JsonNode)new JsonObject
        {
            ["ruleId"] = f.RuleId,
            ["ruleIndex"] = index.TryGetValue(f.RuleId, out var i) ? i : -1,
            ["level"] = Level(f.Severity),
            ["message"] = new JsonObject { ["text"] = f.Message },
            ["locations"] = new JsonArray(new JsonObject
            {
                ["physicalLocation"] = new JsonObject
                {
                    ["artifactLocation"] = new JsonObject { ["uri"] = new Uri(f.Path).AbsoluteUri },
                    ["region"] = new JsonObject { ["startLine"] = f.Line, ["startColumn"] = f.Column, ["endLine"] = f.EndLine, ["endColumn"] = f.EndColumn },
                },
            }),
        }).ToArray());
        var notifications = new JsonArray(run.Projects.SelectMany(p => p.Failures).Select(a => (JsonNode)new JsonObject
        {
            ["descriptor"] = new JsonObject { ["id"] = "AD0001" },
            ["level"] = "error",
            ["message"] = new JsonObject { ["text"] = $"analyzer {a.Analyzer} threw in {a.Project}: {a.Exception}" },
        }).ToArray());
        var version = typeof(Reports).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
        var document = new JsonObject
        {
            ["$schema"] = "https://json.schemastore.org/sarif-2.1.0.json",
            ["version"] = "2.1.0",
            ["runs"] = new JsonArray(new JsonObject
            {
                ["tool"] = new JsonObject { ["driver"] = new JsonObject { ["name"] = "KillSafe", ["version"] = version, ["informationUri"] = KillSafe.Analyzers.Rules.DocsLink.Base + "/README.md", ["rules"] = sarifRules } },
                ["invocations"] = new JsonArray(new JsonObject { ["executionSuccessful"] = notifications.Count == 0, ["toolExecutionNotifications"] = notifications }),
                ["results"] = results,
                ["properties"] = new JsonObject { ["approximate"] = run.Approximate, ["compileErrors"] = run.Projects.Sum(p => p.CompileErrors) },
            }),
        };
        return document.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }
}
