using System.Globalization;
using System.Text;
using System.Text.Json;
using KillSafe.Shared;
using KillSafe.Verification;

namespace KillSafe.Cli;

/// <summary>One finding of the build's SARIF, on a repository-relative path.</summary>
/// <param name="RuleId">KS1001, ...</param>
/// <param name="Level">error, warning, note or none.</param>
/// <param name="Path">Path relative to the repository root, with '/' separators.</param>
/// <param name="Line">1-based line.</param>
/// <param name="Column">1-based column.</param>
/// <param name="Message">The diagnostic's message.</param>
/// <param name="HelpUri">The rule's documentation, when the SARIF names it.</param>
public sealed record Finding(string RuleId, string Level, string Path, int Line, int Column, string Message, string? HelpUri);

/// <summary>
/// killsafe review: the KillSafe findings of a SARIF file that the build already produced, restricted to the
/// lines the change adds or modifies against a base (the git diff from the merge base), printed as GitHub
/// Actions annotations, a Markdown table or JSON. No second analysis runs.
/// </summary>
public static class Review
{
    public static int Run(IReadOnlyList<string> sarifFiles, string? baseRef, string format, string repository)
    {
        if (sarifFiles.Count == 0)
            throw new UsageException("review needs --sarif FILE (the build's -p:ErrorLog=FILE%2Cversion=2.1)");
        if (baseRef is null)
            throw new UsageException("review needs --base REF (for example origin/main)");
        if (format is not ("github" or "markdown" or "json"))
            throw new UsageException($"unknown format '{format}' (github, markdown, json)");
        foreach (var file in sarifFiles)
        {
            if (!File.Exists(file))
                throw new UsageException($"SARIF file not found: {file}");
        }

        var root = Git(repository, "rev-parse", "--show-toplevel") is { ExitCode: 0 } top
            ? top.Output.Trim()
            : throw new UsageException($"not a git repository: {repository}");
        if (Git(root, "rev-parse", "--verify", "--quiet", baseRef + "^{commit}").ExitCode != 0)
            throw new UsageException($"unknown base '{baseRef}'");
        var mergeBase = Git(root, "merge-base", baseRef, "HEAD") is { ExitCode: 0 } mb ? mb.Output.Trim() : baseRef;
        var diff = Git(root, "diff", "--unified=0", "--no-color", "--no-ext-diff", mergeBase);
        if (diff.ExitCode != 0)
            throw new UsageException($"git diff against '{baseRef}' failed: {diff.Output.Trim()}");
        var changed = ChangedLines(diff.Output);

        var findings = sarifFiles.SelectMany(f => ReadSarif(f, root))
            .Where(f => f.RuleId.StartsWith("KS", StringComparison.Ordinal))
            .Where(f => changed.TryGetValue(f.Path, out var lines) && lines.Contains(f.Line))
            .Distinct()
            .OrderBy(f => f.Path, StringComparer.Ordinal).ThenBy(f => f.Line)
            .ToList();

        Console.Out.Write(format switch
        {
            "github" => GitHub(findings),
            "markdown" => Markdown(findings),
            _ => JsonSerializer.Serialize(findings, JsonOutput.Default.ListFinding) + Environment.NewLine,
        });
        return findings.Any(f => f.Level == "error") ? Program.Leaking : Program.Clean;
    }

    /// <summary>Lines that <c>git diff --unified=0</c> adds or modifies, per new path.</summary>
    public static Dictionary<string, HashSet<int>> ChangedLines(string diff)
    {
        var result = new Dictionary<string, HashSet<int>>(StringComparer.Ordinal);
        HashSet<int>? current = null;
        foreach (var line in diff.Split('\n'))
        {
            if (line.StartsWith("+++ ", StringComparison.Ordinal))
            {
                var path = line[4..].Trim();
                current = path == "/dev/null" ? null : Lines(path.StartsWith("b/", StringComparison.Ordinal) ? path[2..] : path);
            }
            else if (line.StartsWith("@@ ", StringComparison.Ordinal) && current is not null)
            {
                // @@ -a,b +c,d @@: d lines from c are new or changed (d = 1 when omitted, 0 for a pure deletion).
                var plus = line.Split(' ').FirstOrDefault(p => p.StartsWith('+'));
                if (plus is null)
                    continue;
                var parts = plus[1..].Split(',');
                int start = int.Parse(parts[0], CultureInfo.InvariantCulture);
                int count = parts.Length > 1 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : 1;
                for (int i = 0; i < count; i++)
                    current.Add(start + i);
            }
        }

        return result;

        HashSet<int> Lines(string path)
        {
            if (!result.TryGetValue(path, out var set))
                result[path] = set = new HashSet<int>();
            return set;
        }
    }

    /// <summary>Reads SARIF 2.1 (and the compiler's older 1.0 layout) into findings with repository-relative paths.</summary>
    public static IEnumerable<Finding> ReadSarif(string file, string root)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllText(file));
        }
        catch (JsonException e)
        {
            throw new UsageException($"not a SARIF file: {file} ({e.Message})");
        }

        using (document)
        {
            if (!document.RootElement.TryGetProperty("runs", out var runs) || runs.ValueKind != JsonValueKind.Array)
                throw new UsageException($"not a SARIF file: {file} (no runs)");
            var findings = new List<Finding>();
            foreach (var run in runs.EnumerateArray())
            {
                var help = HelpLinks(run);
                if (!run.TryGetProperty("results", out var results))
                    continue;
                foreach (var result in results.EnumerateArray())
                {
                    var ruleId = result.TryGetProperty("ruleId", out var id) ? id.GetString() ?? "" : "";
                    var level = result.TryGetProperty("level", out var l) ? l.GetString() ?? "warning" : "warning";
                    var message = result.TryGetProperty("message", out var m) ? (m.ValueKind == JsonValueKind.String ? m.GetString() : m.TryGetProperty("text", out var t) ? t.GetString() : null) ?? "" : "";
                    if (Location(result) is not { } location)
                        continue;
                    findings.Add(new Finding(ruleId, level, Relative(location.Uri, root), location.Line, location.Column, message, help.GetValueOrDefault(ruleId)));
                }
            }

            return findings;
        }
    }

    private static Dictionary<string, string> HelpLinks(JsonElement run)
    {
        var links = new Dictionary<string, string>(StringComparer.Ordinal);
        if (run.TryGetProperty("tool", out var tool) && tool.TryGetProperty("driver", out var driver) && driver.TryGetProperty("rules", out var rules))
        {
            foreach (var rule in rules.EnumerateArray())
            {
                if (rule.TryGetProperty("id", out var id) && rule.TryGetProperty("helpUri", out var uri) && id.GetString() is { } key && uri.GetString() is { } value)
                    links[key] = value;
            }
        }

        return links;
    }

    private static (string Uri, int Line, int Column)? Location(JsonElement result)
    {
        if (!result.TryGetProperty("locations", out var locations) || locations.GetArrayLength() == 0)
            return null;
        var location = locations[0];
        // SARIF 2.1: physicalLocation.artifactLocation.uri; SARIF 1.0 (the compiler's default): resultFile.uri.
        var physical = location.TryGetProperty("physicalLocation", out var p) ? p : location.TryGetProperty("resultFile", out var r) ? r : default;
        if (physical.ValueKind != JsonValueKind.Object)
            return null;
        var uri = physical.TryGetProperty("artifactLocation", out var artifact) && artifact.TryGetProperty("uri", out var u) ? u.GetString()
            : physical.TryGetProperty("uri", out var u1) ? u1.GetString() : null;
        if (uri is null || !physical.TryGetProperty("region", out var region))
            return null;
        int line = region.TryGetProperty("startLine", out var sl) ? sl.GetInt32() : 1;
        int column = region.TryGetProperty("startColumn", out var sc) ? sc.GetInt32() : 1;
        return (uri, line, column);
    }

    private static string Relative(string uri, string root)
    {
        var path = Uri.TryCreate(uri, UriKind.Absolute, out var absolute) && absolute.IsFile ? absolute.LocalPath : uri;
        if (System.IO.Path.IsPathRooted(path))
            path = System.IO.Path.GetRelativePath(root, path);
        return path.Replace('\\', '/');
    }

    private static string GitHub(IReadOnlyList<Finding> findings)
    {
        var text = new StringBuilder();
        foreach (var f in findings)
            text.Append(GitHubAnnotations.Line(f.Level, f.Path, f.Line, f.Column, f.RuleId, f.Message)).Append('\n');
        return text.ToString();
    }

    private static string Markdown(IReadOnlyList<Finding> findings)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"### KillSafe: {findings.Count} finding(s) on changed lines\n\n");
        if (findings.Count == 0)
            return text.Append("Nothing on the lines this change touches.\n").ToString();
        text.Append("| Rule | Severity | Location | Message |\n|---|---|---|---|\n");
        foreach (var f in findings)
        {
            var rule = f.HelpUri is null ? f.RuleId : $"[{f.RuleId}]({f.HelpUri})";
            text.Append(CultureInfo.InvariantCulture, $"| {rule} | {f.Level} | `{f.Path}:{f.Line}` | {f.Message.Replace("|", "\\|", StringComparison.Ordinal)} |\n");
        }

        return text.ToString();
    }

    private static (int ExitCode, string Output) Git(string directory, params string[] arguments)
    {
        try
        {
            using var git = ChildProcess.Start("git", new[] { "-C", directory }.Concat(arguments), environment: null);
            var exitCode = git.WaitForExitAsync(TimeSpan.FromSeconds(60)).GetAwaiter().GetResult();
            return (exitCode, git.Output);
        }
        catch (VerificationException e)
        {
            throw new UsageException("git is needed for review: " + e.Message);
        }
    }
}
