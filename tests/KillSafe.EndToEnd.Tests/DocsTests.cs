using KillSafe.Analyzers.Rules;
using KillSafe.RuleDocs;
using Xunit;

namespace KillSafe.EndToEnd.Tests;

/// <summary>
/// The descriptors are the one source of rule metadata. Everything that follows from them (each page's title and
/// header table, the docs index, the presets, the release-tracking file) is written by eng/KillSafe.RuleDocs, and
/// the first test fails when running it would change a file. The rest checks what a generator cannot write: the
/// prose.
/// </summary>
public sealed class DocsTests
{
    public static TheoryData<string> RuleIds()
    {
        var data = new TheoryData<string>();
        foreach (var rule in RuleInfo.All)
            data.Add(rule.Id);
        return data;
    }

    [Fact]
    public void Running_the_rule_docs_generator_changes_nothing()
    {
        var stale = RuleDocsGenerator.OutOfDate(Repo.Root).Select(f => f.Path).ToList();
        Assert.True(stale.Count == 0,
            $"out of date: {string.Join(", ", stale)}; run `dotnet run --project eng/KillSafe.RuleDocs` and commit what it writes");
    }

    [Fact]
    public void The_generator_covers_every_rule_and_only_the_rules()
    {
        var analyzerIds = typeof(StaleUnixSocketFileAnalyzer).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(Microsoft.CodeAnalysis.Diagnostics.DiagnosticAnalyzer).IsAssignableFrom(t))
            .SelectMany(t => ((Microsoft.CodeAnalysis.Diagnostics.DiagnosticAnalyzer)Activator.CreateInstance(t)!).SupportedDiagnostics)
            .Select(d => d.Id).Distinct().Order(StringComparer.Ordinal);
        Assert.Equal(analyzerIds, RuleInfo.All.Select(r => r.Id));
        var pages = Directory.GetFiles(Path.Combine(Repo.Root, "docs", "rules"), "KS*.md").Select(p => Path.GetFileNameWithoutExtension(p)).Order(StringComparer.Ordinal);
        Assert.Equal(RuleInfo.All.Select(r => r.Id), pages);
        var metadata = Directory.GetFiles(Path.Combine(Repo.Root, "docs", "rules", "meta"), "*.json").Select(p => Path.GetFileNameWithoutExtension(p)).Order(StringComparer.Ordinal);
        Assert.Equal(RuleInfo.All.Select(r => r.Id), metadata);
    }

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void Rule_page_has_its_prose_written(string id)
    {
        var text = File.ReadAllText(Path.Combine(Repo.Root, "docs", "rules", id + ".md"));
        foreach (var section in new[] { "## What happens", "## Bad", "## Good", "## Configure severity", "## When to suppress" })
            Assert.Contains("\n" + section, text, StringComparison.Ordinal);
        Assert.Contains($"dotnet_diagnostic.{id}.severity", text, StringComparison.Ordinal);
        Assert.DoesNotContain(RuleDocsGenerator.Todo + ":", text, StringComparison.Ordinal);
        var metadata = File.ReadAllText(Path.Combine(Repo.Root, "docs", "rules", "meta", id + ".json"));
        Assert.DoesNotContain(RuleDocsGenerator.Todo + ":", metadata, StringComparison.Ordinal);
    }

    [Fact]
    public void A_new_rule_gets_a_skeleton_page_and_metadata_that_fail_until_written()
    {
        // A copy of the repository's generated inputs with one rule's page and metadata removed, as for a rule
        // whose descriptor is new: the generator writes skeletons, and the prose check finds their TODO lines.
        var root = Directory.CreateTempSubdirectory("ks-ruledocs-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "docs", "rules", "meta"));
            File.Copy(Path.Combine(Repo.Root, "docs", "README.md"), Path.Combine(root, "docs", "README.md"));
            var rule = RuleInfo.All[0];
            foreach (var other in RuleInfo.All.Skip(1))
            {
                File.Copy(Path.Combine(Repo.Root, "docs", "rules", other.Id + ".md"), Path.Combine(root, "docs", "rules", other.Id + ".md"));
                File.Copy(Path.Combine(Repo.Root, "docs", "rules", "meta", other.Id + ".json"), Path.Combine(root, "docs", "rules", "meta", other.Id + ".json"));
            }
            var files = RuleDocsGenerator.Render(root);
            var page = files.Single(f => f.Path == $"docs/rules/{rule.Id}.md").Content;
            var metadata = files.Single(f => f.Path == $"docs/rules/meta/{rule.Id}.json").Content;
            Assert.StartsWith($"# {rule.Id}: {rule.Descriptor.Title}\n", page, StringComparison.Ordinal);
            Assert.Contains("| Applies to | TODO:", page, StringComparison.Ordinal);
            Assert.Contains("## When to suppress\n\nTODO:", page, StringComparison.Ordinal);
            Assert.Contains("\"appliesTo\": \"TODO:", metadata, StringComparison.Ordinal);
            // The other pages keep their prose: only the header is the generator's.
            var kept = files.Single(f => f.Path == $"docs/rules/{RuleInfo.All[1].Id}.md").Content;
            Assert.Equal(File.ReadAllText(Path.Combine(Repo.Root, "docs", "rules", RuleInfo.All[1].Id + ".md")), kept);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Bad_metadata_is_refused_with_the_file_and_the_field()
    {
        var root = Directory.CreateTempSubdirectory("ks-ruledocs-").FullName;
        try
        {
            var path = Path.Combine(root, "KS0000.json");
            File.WriteAllText(path, "{\"appliesTo\": \"x\", \"appliesto\": \"y\"}");
            var unknown = Assert.Throws<GeneratorException>(() => RuleMetadata.Read(path));
            Assert.Contains("unknown field 'appliesto'", unknown.Message, StringComparison.Ordinal);
            File.WriteAllText(path, "{\"codeFix\": \"two\"}");
            Assert.Contains("'appliesTo' (a string) is required", Assert.Throws<GeneratorException>(() => RuleMetadata.Read(path)).Message, StringComparison.Ordinal);
            File.WriteAllText(path, "{");
            Assert.Contains("not valid JSON", Assert.Throws<GeneratorException>(() => RuleMetadata.Read(path)).Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Theory]
    [InlineData("src/KillSafe.Analyzers.Package/README.md")]
    [InlineData("src/KillSafe.Cli/README.md")]
    [InlineData("src/KillSafe.Verification/README.md")]
    public void A_package_readme_links_only_absolutely(string path)
    {
        // A feed's page shows the readme without the repository around it: a relative link leads nowhere.
        var text = File.ReadAllText(Path.Combine(Repo.Root, path));
        var links = System.Text.RegularExpressions.Regex.Matches(text, @"\]\(([^)]+)\)").Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(links);
        Assert.All(links, link => Assert.StartsWith("https://", link));
    }
}
