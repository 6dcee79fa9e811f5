using System.Text.RegularExpressions;
using KillSafe.Analyzers.Rules;
using KillSafe.CodeFixes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Diagnostics;
using Xunit;

namespace KillSafe.EndToEnd.Tests;

/// <summary>
/// The descriptors are the one source of rule metadata: every rule page, the docs index and the release
/// tracking file must agree with them, so the docs cannot drift.
/// </summary>
public sealed class DocsTests
{
    public static TheoryData<string> RuleIds()
    {
        var data = new TheoryData<string>();
        foreach (var descriptor in Descriptors())
            data.Add(descriptor.Id);
        return data;
    }

    private static IEnumerable<DiagnosticDescriptor> Descriptors() =>
        typeof(StaleUnixSocketFileAnalyzer).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t))
            .SelectMany(t => ((DiagnosticAnalyzer)Activator.CreateInstance(t)!).SupportedDiagnostics)
            .OrderBy(d => d.Id, StringComparer.Ordinal);

    private static DiagnosticDescriptor Descriptor(string id) => Descriptors().Single(d => d.Id == id);

    private static bool HasCodeFix(string id) =>
        typeof(StaleUnixSocketFileCodeFix).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(CodeFixProvider).IsAssignableFrom(t))
            .Any(t => ((CodeFixProvider)Activator.CreateInstance(t)!).FixableDiagnosticIds.Contains(id));

    private static string Severity(DiagnosticDescriptor d) => !d.IsEnabledByDefault ? "Disabled" : d.DefaultSeverity switch
    {
        DiagnosticSeverity.Info => "Info",
        DiagnosticSeverity.Hidden => "Hidden",
        DiagnosticSeverity.Error => "Error",
        _ => "Warning",
    };

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void Rule_page_exists_and_agrees_with_the_descriptor(string id)
    {
        var descriptor = Descriptor(id);
        var page = Path.Combine(Repo.Root, "docs", "rules", id + ".md");
        Assert.True(File.Exists(page), $"docs/rules/{id}.md is missing");
        var text = File.ReadAllText(page);
        Assert.StartsWith($"# {id}: {descriptor.Title}\n", text, StringComparison.Ordinal);
        Assert.Contains($"| Category | {descriptor.Category} |", text, StringComparison.Ordinal);
        Assert.Contains($"| Default severity | {Severity(descriptor)}", text, StringComparison.Ordinal);
        Assert.Contains($"| Code fix | {(HasCodeFix(id) ? "Yes" : "No")}", text, StringComparison.Ordinal);
        foreach (var section in new[] { "## Bad", "## Good", "## Configure severity", "## When to suppress" })
            Assert.Contains(section, text, StringComparison.Ordinal);
        Assert.Equal(RuleDescriptors.HelpLink(id), descriptor.HelpLinkUri);
    }

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void Docs_index_row_agrees_with_the_descriptor(string id)
    {
        var descriptor = Descriptor(id);
        var index = File.ReadAllText(Path.Combine(Repo.Root, "docs", "README.md"));
        var row = $"| [{id}](rules/{id}.md) | {descriptor.Title} | {descriptor.Category} | {Severity(descriptor)} | {(HasCodeFix(id) ? "Yes" : "No")} |";
        Assert.Contains(row, index, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void Release_tracking_names_the_rule_with_its_category_and_severity(string id)
    {
        var descriptor = Descriptor(id);
        var unshipped = File.ReadAllText(Path.Combine(Repo.Root, "src", "KillSafe.Analyzers", "AnalyzerReleases.Unshipped.md"));
        Assert.Matches(new Regex($@"^{id} \| {descriptor.Category} \| {Severity(descriptor)} \|", RegexOptions.Multiline), unshipped);
    }

    [Fact]
    public void Docs_index_lists_no_rule_that_does_not_exist()
    {
        var index = File.ReadAllText(Path.Combine(Repo.Root, "docs", "README.md"));
        var listed = Regex.Matches(index, @"^\| \[(KS\d{4})\]", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(Descriptors().Select(d => d.Id), listed);
    }

    [Theory]
    [InlineData("src/KillSafe.Analyzers.Package/README.md")]
    [InlineData("src/KillSafe.Cli/README.md")]
    [InlineData("src/KillSafe.Verification/README.md")]
    public void A_package_readme_links_only_absolutely(string path)
    {
        // A feed's page shows the readme without the repository around it: a relative link leads nowhere.
        var text = File.ReadAllText(Path.Combine(Repo.Root, path));
        var links = Regex.Matches(text, @"\]\(([^)]+)\)").Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(links);
        Assert.All(links, link => Assert.StartsWith("https://", link));
    }
}
