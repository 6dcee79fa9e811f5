using System.IO.Compression;
using System.Xml.Linq;
using KillSafe.Analyzers.Rules;
using KillSafe.RuleDocs;
using Xunit;

namespace KillSafe.EndToEnd.Tests;

/// <summary>What the NuGet package KillSafe.Analyzers contains, read from the .nupkg that dotnet pack produced.</summary>
[Collection(PackageCollection.Name)]
public sealed class PackageTests
{
    private readonly PackageFixture _package;

    public PackageTests(PackageFixture package) => _package = package;

    private static readonly XNamespace Nuspec = "http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd";

    private XElement Metadata()
    {
        using var zip = ZipFile.OpenRead(_package.PackagePath);
        using var stream = zip.GetEntry("KillSafe.Analyzers.nuspec")!.Open();
        var document = XDocument.Load(stream);
        return document.Root!.Elements().Single(e => e.Name.LocalName == "metadata");
    }

    private static string? Value(XElement metadata, string name) => metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name)?.Value;

    [Fact]
    public void Both_analyzer_assemblies_are_under_analyzers_dotnet_cs_and_nothing_under_lib()
    {
        using var zip = ZipFile.OpenRead(_package.PackagePath);
        var entries = zip.Entries.Select(e => e.FullName).ToList();
        Assert.Contains("analyzers/dotnet/cs/KillSafe.Analyzers.dll", entries);
        Assert.Contains("analyzers/dotnet/cs/KillSafe.CodeFixes.dll", entries);
        Assert.DoesNotContain(entries, e => e.StartsWith("lib/", StringComparison.Ordinal) || e.StartsWith("ref/", StringComparison.Ordinal));
        Assert.DoesNotContain(entries, e => e.EndsWith(".dll", StringComparison.Ordinal) && !e.StartsWith("analyzers/dotnet/cs/", StringComparison.Ordinal));
    }

    [Fact]
    public void Package_is_a_development_dependency_with_readme_and_license()
    {
        var metadata = Metadata();
        Assert.Equal("KillSafe.Analyzers", Value(metadata, "id"));
        Assert.Equal("true", Value(metadata, "developmentDependency"));
        Assert.Equal("MIT", Value(metadata, "license"));
        Assert.Equal("README.md", Value(metadata, "readme"));
        Assert.Null(metadata.Elements().SingleOrDefault(e => e.Name.LocalName == "dependencies"));
        Assert.StartsWith("https://", Value(metadata, "projectUrl"));
        using var zip = ZipFile.OpenRead(_package.PackagePath);
        using var readme = new StreamReader(zip.GetEntry("README.md")!.Open());
        var text = readme.ReadToEnd();
        Assert.StartsWith("# KillSafe.Analyzers", text); // the package's own readme, not the repository's set-up steps
        Assert.DoesNotContain("./eng/demo.sh", text);
    }

    [Fact]
    public void Every_rule_page_ships_in_the_package_for_reading_offline()
    {
        using var zip = ZipFile.OpenRead(_package.PackagePath);
        Assert.NotEmpty(RuleInfo.All);
        foreach (var rule in RuleInfo.All)
            Assert.True(zip.GetEntry($"docs/{rule.Id}.md") is not null, $"docs/{rule.Id}.md is not in the package");
    }

    [Theory]
    [InlineData("recommended")]
    [InlineData("strict")]
    public void Severity_presets_ship_as_the_generator_writes_them(string preset)
    {
        // The presets are generated from the descriptors (RuleDocsTests keeps them up to date); this checks
        // that the package carries them as they are, and the props file that selects one.
        using var zip = ZipFile.OpenRead(_package.PackagePath);
        Assert.NotNull(zip.GetEntry("build/KillSafe.Analyzers.props"));
        using var reader = new StreamReader(zip.GetEntry($"presets/killsafe.{preset}.globalconfig")!.Open());
        var generated = RuleDocsGenerator.Render(Repo.Root).Single(f => f.Path.EndsWith($"/killsafe.{preset}.globalconfig", StringComparison.Ordinal));
        Assert.Equal(generated.Content, reader.ReadToEnd());
        var severities = generated.Content.Split('\n').Where(l => l.StartsWith("dotnet_diagnostic.", StringComparison.Ordinal)).ToList();
        Assert.Equal(RuleInfo.All.Count, severities.Count);
        if (preset == "strict")
            Assert.All(severities, line => Assert.EndsWith(".severity = error", line, StringComparison.Ordinal));
    }

    [Fact]
    public void Help_links_resolve_to_the_rule_pages_in_docs()
    {
        Assert.NotEmpty(RuleInfo.All);
        foreach (var descriptor in RuleInfo.All.Select(r => r.Descriptor))
        {
            Assert.StartsWith(RuleDescriptors.DocsBaseUrl, descriptor.HelpLinkUri, StringComparison.Ordinal);
            var page = descriptor.HelpLinkUri.Substring(RuleDescriptors.DocsBaseUrl.Length);
            Assert.Equal(descriptor.Id + ".md", page);
            Assert.True(File.Exists(Path.Combine(Repo.Root, "docs", "rules", page)), $"docs/rules/{page} is missing");
        }
    }
}
