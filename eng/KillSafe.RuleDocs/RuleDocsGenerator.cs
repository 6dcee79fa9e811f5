using System.Text;
using System.Text.Json;
using Microsoft.CodeAnalysis;

namespace KillSafe.RuleDocs;

/// <summary>One file as the generator would write it.</summary>
/// <param name="Path">Relative to the repository root, with '/' separators.</param>
/// <param name="Content">The whole text of the file.</param>
public sealed record GeneratedFile(string Path, string Content);

/// <summary>
/// Renders everything about the rules that follows from their descriptors plus one small metadata file per rule
/// (<c>docs/rules/meta/&lt;id&gt;.json</c>: what the rule applies to, and a note on its fix): the title and header
/// table of each rule page (the prose below it is kept as written), the rules table of docs/README.md, both
/// severity presets and AnalyzerReleases.Unshipped.md. A new rule's page and metadata file start as skeletons
/// whose TODO lines a person replaces (DocsTests fails while one is left).
/// </summary>
public static class RuleDocsGenerator
{
    /// <summary>The line before the generated rules table in docs/README.md.</summary>
    public const string IndexBegin = "<!-- The rules table is written by eng/KillSafe.RuleDocs from the descriptors: do not edit it here. -->";

    /// <summary>The line after it.</summary>
    public const string IndexEnd = "<!-- End of the generated rules table. -->";

    /// <summary>What a skeleton leaves for a person to write.</summary>
    public const string Todo = "TODO";

    private static readonly string[] SkeletonSections =
        ["## What happens", "## Bad", "## Good", "## Configure severity", "## When to suppress"];

    /// <summary>Every generated file, from the rules and the metadata and pages under <paramref name="root"/>.</summary>
    public static IReadOnlyList<GeneratedFile> Render(string root) => Render(root, RuleInfo.All);

    /// <summary>Every generated file for the given rules.</summary>
    public static IReadOnlyList<GeneratedFile> Render(string root, IReadOnlyList<RuleInfo> rules)
    {
        var files = new List<GeneratedFile>();
        foreach (var rule in rules)
        {
            var metaPath = $"docs/rules/meta/{rule.Id}.json";
            var meta = RuleMetadata.Read(Full(root, metaPath));
            if (meta is null)
            {
                meta = new RuleMetadata($"{Todo}: the calls and shapes {rule.Id} flags", null);
                files.Add(new GeneratedFile(metaPath, meta.ToJson()));
            }
            files.Add(new GeneratedFile($"docs/rules/{rule.Id}.md", Page(rule, meta, ReadOrNull(Full(root, $"docs/rules/{rule.Id}.md")))));
        }
        var indexPath = "docs/README.md";
        files.Add(new GeneratedFile(indexPath, Index(rules, ReadOrNull(Full(root, indexPath)) ?? throw new GeneratorException($"{indexPath} is missing"))));
        files.Add(new GeneratedFile("src/KillSafe.Analyzers.Package/presets/killsafe.recommended.globalconfig", Preset(rules, strict: false)));
        files.Add(new GeneratedFile("src/KillSafe.Analyzers.Package/presets/killsafe.strict.globalconfig", Preset(rules, strict: true)));
        files.Add(new GeneratedFile("src/KillSafe.Analyzers/AnalyzerReleases.Unshipped.md", ReleaseTracking(rules)));
        return files;
    }

    /// <summary>The generated files whose text on disk differs (or that are missing).</summary>
    public static IReadOnlyList<GeneratedFile> OutOfDate(string root) =>
        Render(root).Where(f => ReadOrNull(Full(root, f.Path)) != f.Content).ToList();

    /// <summary>The word a table uses for a descriptor's default severity.</summary>
    public static string Severity(DiagnosticDescriptor d) => !d.IsEnabledByDefault ? "Disabled" : d.DefaultSeverity switch
    {
        DiagnosticSeverity.Info => "Info",
        DiagnosticSeverity.Hidden => "Hidden",
        DiagnosticSeverity.Error => "Error",
        _ => "Warning",
    };

    /// <summary>The severity an .editorconfig or .globalconfig writes for a descriptor's default.</summary>
    public static string ConfigSeverity(DiagnosticDescriptor d) => !d.IsEnabledByDefault ? "none" : d.DefaultSeverity switch
    {
        DiagnosticSeverity.Error => "error",
        DiagnosticSeverity.Warning => "warning",
        DiagnosticSeverity.Info => "suggestion",
        _ => "silent",
    };

    private static string Page(RuleInfo rule, RuleMetadata meta, string? existing)
    {
        var d = rule.Descriptor;
        var header = new StringBuilder();
        header.Append($"# {d.Id}: {d.Title}\n\n");
        header.Append($"<!-- The title and this table are written by eng/KillSafe.RuleDocs from the descriptor and meta/{d.Id}.json: edit those. -->\n");
        header.Append("| | |\n|---|---|\n");
        header.Append($"| Category | {d.Category} |\n");
        header.Append($"| Default severity | {PageSeverity(d)} |\n");
        header.Append($"| Code fix | {CodeFix(rule, meta)} |\n");
        if (rule.CompilationEnd)
            header.Append("| Reported | at compilation end: the rule needs the whole program (on build, in CI, and in the IDE with full-solution analysis) |\n");
        header.Append($"| Applies to | {meta.AppliesTo} |\n\n");

        var prose = existing is null ? Skeleton(d.Id) : ProseOf(existing);
        return header + prose;
    }

    private static string PageSeverity(DiagnosticDescriptor d) => !d.IsEnabledByDefault
        ? $"Disabled (opt-in; reported as {Article(Severity(EnabledCopy(d)).ToLowerInvariant())} once enabled)"
        : d.DefaultSeverity == DiagnosticSeverity.Info ? "Info (a suggestion)" : Severity(d);

    private static DiagnosticDescriptor EnabledCopy(DiagnosticDescriptor d) =>
#pragma warning disable RS0030 // a copy for its severity word only, never reported
        new(d.Id, d.Title, d.MessageFormat, d.Category, d.DefaultSeverity, isEnabledByDefault: true);
#pragma warning restore RS0030

    private static string Article(string word) => ("aeiou".Contains(word[0]) ? "an " : "a ") + word;

    private static string CodeFix(RuleInfo rule, RuleMetadata meta)
    {
        if (!rule.HasCodeFix)
            return "No";
        var text = "Yes";
        if (meta.CodeFix is { Length: > 0 } note)
            text += ", " + note;
        return rule.FixAll ? text + " (Fix All supported)" : text;
    }

    // The prose is everything from the first second-level heading on; the generator owns what comes before it.
    private static string ProseOf(string page)
    {
        var text = page.Replace("\r\n", "\n", StringComparison.Ordinal);
        var at = text.StartsWith("## ", StringComparison.Ordinal) ? 0 : text.IndexOf("\n## ", StringComparison.Ordinal);
        if (at < 0)
            throw new GeneratorException("a rule page has no '## ' section after its header: keep at least the skeleton's sections");
        return text[(at == 0 ? 0 : at + 1)..];
    }

    private static string Skeleton(string id)
    {
        var text = new StringBuilder();
        foreach (var section in SkeletonSections)
        {
            text.Append(section).Append("\n\n");
            text.Append(section == "## Configure severity"
                ? $"```ini\n[*.cs]\ndotnet_diagnostic.{id}.severity = error\n```\n\n"
                : $"{Todo}: write this section.\n\n");
        }
        return text.ToString().TrimEnd('\n') + "\n";
    }

    private static string Index(IReadOnlyList<RuleInfo> rules, string existing)
    {
        var text = existing.Replace("\r\n", "\n", StringComparison.Ordinal);
        var begin = text.IndexOf(IndexBegin + "\n", StringComparison.Ordinal);
        var end = text.IndexOf(IndexEnd + "\n", StringComparison.Ordinal);
        if (begin < 0 || end < begin)
            throw new GeneratorException($"docs/README.md must hold the lines '{IndexBegin}' and '{IndexEnd}', in that order, around the rules table");
        var table = new StringBuilder();
        table.Append(IndexBegin).Append('\n');
        table.Append("| ID | Title | Category | Default severity | Code fix |\n|---|---|---|---|---|\n");
        foreach (var rule in rules)
            table.Append($"| [{rule.Id}](rules/{rule.Id}.md) | {rule.Descriptor.Title} | {rule.Descriptor.Category} | {Severity(rule.Descriptor)} | {(rule.HasCodeFix ? "Yes" : "No")} |\n");
        return text[..begin] + table + text[end..];
    }

    private static string Preset(IReadOnlyList<RuleInfo> rules, bool strict)
    {
        var text = new StringBuilder();
        if (strict)
        {
            text.Append("# KillSafe strict preset, for CI: every rule is an error, the opt-in ones included.\n");
            text.Append("# Select it with <KillSafeAnalysisMode>strict</KillSafeAnalysisMode> in the project file.\n");
        }
        else
        {
            text.Append("# KillSafe recommended preset: every rule at its default severity (the same as no preset).\n");
            text.Append("# Select it with <KillSafeAnalysisMode>recommended</KillSafeAnalysisMode> in the project file.\n");
        }
        text.Append("# Written by eng/KillSafe.RuleDocs from the rules' descriptors: do not edit it here.\n");
        text.Append("is_global = true\nglobal_level = -1\n\n");
        foreach (var rule in rules)
            text.Append($"dotnet_diagnostic.{rule.Id}.severity = {(strict ? "error" : ConfigSeverity(rule.Descriptor))}\n");
        return text.ToString();
    }

    private static string ReleaseTracking(IReadOnlyList<RuleInfo> rules)
    {
        var text = new StringBuilder();
        text.Append("; Unshipped analyzer release\n");
        text.Append("; https://github.com/dotnet/roslyn-analyzers/blob/main/src/Microsoft.CodeAnalysis.Analyzers/ReleaseTrackingAnalyzers.Help.md\n");
        text.Append("; Written by eng/KillSafe.RuleDocs from the rules' descriptors: do not edit it here.\n\n");
        text.Append("### New Rules\n\n");
        text.Append("Rule ID | Category | Severity | Notes\n");
        text.Append("--------|----------|----------|-------\n");
        foreach (var rule in rules)
            text.Append($"{rule.Id} | {rule.Descriptor.Category} | {Severity(rule.Descriptor)} | {rule.AnalyzerName}, [Documentation]({rule.Descriptor.HelpLinkUri})\n");
        return text.ToString();
    }

    private static string Full(string root, string relative) => System.IO.Path.Combine(root, relative.Replace('/', System.IO.Path.DirectorySeparatorChar));

    private static string? ReadOrNull(string path) => File.Exists(path) ? File.ReadAllText(path) : null;
}

/// <summary>What a rule's metadata file holds beyond its descriptor.</summary>
/// <param name="AppliesTo">The calls and shapes the rule flags, in Markdown (the page's "Applies to" row).</param>
/// <param name="CodeFix">A note on the fix after "Yes, " (what it does, or how many there are); null for none.</param>
public sealed record RuleMetadata(string AppliesTo, string? CodeFix)
{
    /// <summary>Reads a metadata file; null when there is none.</summary>
    public static RuleMetadata? Read(string path)
    {
        if (!File.Exists(path))
            return null;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            var root = document.RootElement;
            foreach (var property in root.EnumerateObject())
            {
                if (property.Name is not ("appliesTo" or "codeFix"))
                    throw new GeneratorException($"{path}: unknown field '{property.Name}' (known: appliesTo, codeFix)");
            }
            var appliesTo = root.TryGetProperty("appliesTo", out var a) && a.ValueKind == JsonValueKind.String ? a.GetString()! : throw new GeneratorException($"{path}: 'appliesTo' (a string) is required");
            var codeFix = root.TryGetProperty("codeFix", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
            return new RuleMetadata(appliesTo, codeFix);
        }
        catch (JsonException e)
        {
            throw new GeneratorException($"{path}: not valid JSON ({e.Message})");
        }
    }

    /// <summary>The file's text.</summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            writer.WriteString("appliesTo", AppliesTo);
            if (CodeFix is not null)
                writer.WriteString("codeFix", CodeFix);
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }
}

/// <summary>Input the generator cannot use; the message says what to change.</summary>
public sealed class GeneratorException(string message) : Exception(message);
